/**
 * The one TypeORM DataSource. Schema comes only from migrations (never synchronize). Simple reads
 * go through entities (the catalogue); the money paths use SQL through the same data source,
 * because they need explicit row locks and conditional updates that read more clearly as SQL.
 */
import "reflect-metadata";
import { DataSource } from "typeorm";
import { ProductEntity } from "./entities/product";
import { Init1732400000000 } from "./migrations/1732400000000-Init";
import { ManyMerchants1732500000000 } from "./migrations/1732500000000-ManyMerchants";
import { TradeNumbers1732600000000 } from "./migrations/1732600000000-TradeNumbers";
import { Limits1732700000000 } from "./migrations/1732700000000-Limits";
import { Admin1732800000000 } from "./migrations/1732800000000-Admin";
import { AdminOrders1732900000000 } from "./migrations/1732900000000-AdminOrders";
import { Refunds1733000000000 } from "./migrations/1733000000000-Refunds";
import { Reconciliation1733100000000 } from "./migrations/1733100000000-Reconciliation";
import { Webhooks1733200000000 } from "./migrations/1733200000000-Webhooks";
import { MerchantOrders1733300000000 } from "./migrations/1733300000000-MerchantOrders";
import { NotifySettle1733500000000 } from "./migrations/1733500000000-NotifySettle";
import { OrderNotify1733600000000 } from "./migrations/1733600000000-OrderNotify";
import { NotifySettleBatch1733700000000 } from "./migrations/1733700000000-NotifySettleBatch";
import { CreateOrder1733800000000 } from "./migrations/1733800000000-CreateOrder";

export const MIGRATIONS = [
  Init1732400000000,
  ManyMerchants1732500000000,
  TradeNumbers1732600000000,
  Limits1732700000000,
  Admin1732800000000,
  AdminOrders1732900000000,
  Refunds1733000000000,
  Reconciliation1733100000000,
  Webhooks1733200000000,
  MerchantOrders1733300000000,
  NotifySettle1733500000000,
  OrderNotify1733600000000,
  NotifySettleBatch1733700000000,
  CreateOrder1733800000000,
];

/**
 * `?host=/a/dir` in the URL (libpq's way to name a Unix socket directory) is honoured by pg but not
 * by TypeORM's own URL parsing, so it is passed to the pool explicitly.
 */
function socketHost(url: string): { host?: string } {
  try {
    const host = new URL(url).searchParams.get("host");
    return host?.startsWith("/") ? { host } : {};
  } catch {
    return {};
  }
}

export function createDataSource(url: string): DataSource {
  return new DataSource({
    type: "postgres",
    url,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: "migrations",
    entities: [ProductEntity],
    extra: { max: 10, connectionTimeoutMillis: 5000, ...socketHost(url) },
    logging: false,
  });
}

export async function runMigrations(ds: DataSource): Promise<string[]> {
  const done = await ds.runMigrations({ transaction: "each" });
  return done.map((m) => m.name);
}
