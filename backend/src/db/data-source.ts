/**
 * The one TypeORM DataSource. Schema comes only from migrations (never synchronize). Queries are
 * mostly plain SQL through the data source: the money paths need explicit locks and conditional
 * updates that read more clearly as SQL than as entity calls.
 */
import "reflect-metadata";
import { DataSource } from "typeorm";
import { Init1732400000000 } from "./migrations/1732400000000-Init";

export const MIGRATIONS = [Init1732400000000];

export function createDataSource(url: string): DataSource {
  return new DataSource({
    type: "postgres",
    url,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: "migrations",
    entities: [],
    extra: { max: 10, connectionTimeoutMillis: 5000 },
    logging: false,
  });
}

export async function runMigrations(ds: DataSource): Promise<string[]> {
  const done = await ds.runMigrations({ transaction: "each" });
  return done.map((m) => m.name);
}
