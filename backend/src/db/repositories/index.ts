/**
 * The data-access seam. Services get a `Db`: repositories bound to the pool, and `transaction`,
 * which hands the callback the same repositories bound to one transaction. No service sees
 * TypeORM or SQL.
 */
import type { DataSource } from "typeorm";
import { AnomaliesRepo } from "./anomalies";
import { ApiKeysRepo } from "./api-keys";
import { AttemptsRepo } from "./attempts";
import { AuditRepo } from "./audit";
import { EventsRepo } from "./events";
import { MerchantOrdersRepo } from "./merchant-orders";
import { MerchantsRepo } from "./merchants";
import { NotifyLogRepo } from "./notify-log";
import { NotifySettleRepo } from "./notify-settle";
import { OrdersRepo } from "./orders";
import { ProductsRepo } from "./products";
import { jobScheduler, type JobScheduler, type JobSink } from "./jobs";
import { TradeNumbersRepo } from "./trade-numbers";
import { RateLimitsRepo } from "./rate-limits";
import { RefundsRepo } from "./refunds";
import { ReconciliationsRepo } from "./reconciliations";
import { RetentionRepo } from "./retention";
import type { Manager } from "./rows";
import { UsersRepo } from "./users";
import { WebhooksRepo } from "./webhooks";

export interface Repos {
  orders: OrdersRepo;
  events: EventsRepo;
  attempts: AttemptsRepo;
  users: UsersRepo;
  products: ProductsRepo;
  merchants: MerchantsRepo;
  notifyLog: NotifyLogRepo;
  /** Payment notifies settled in one statement (falls back to the full path). */
  notifySettle: NotifySettleRepo;
  tradeNumbers: TradeNumbersRepo;
  /** Jobs that commit with the transaction these repositories belong to. */
  jobs: JobScheduler;
  rateLimits: RateLimitsRepo;
  retention: RetentionRepo;
  apiKeys: ApiKeysRepo;
  audit: AuditRepo;
  anomalies: AnomaliesRepo;
  refunds: RefundsRepo;
  reconciliations: ReconciliationsRepo;
  webhooks: WebhooksRepo;
  merchantOrders: MerchantOrdersRepo;
}

export interface Db {
  repos: Repos;
  transaction<T>(fn: (r: Repos) => Promise<T>): Promise<T>;
  /** true when the database answers. */
  ping(): Promise<boolean>;
}

export function createRepos(m: Manager, sink: () => JobSink | null = () => null): Repos {
  return {
    orders: new OrdersRepo(m),
    events: new EventsRepo(m),
    attempts: new AttemptsRepo(m),
    users: new UsersRepo(m),
    products: new ProductsRepo(m),
    merchants: new MerchantsRepo(m),
    notifyLog: new NotifyLogRepo(m),
    notifySettle: new NotifySettleRepo(m),
    tradeNumbers: new TradeNumbersRepo(m),
    jobs: jobScheduler(m, sink),
    rateLimits: new RateLimitsRepo(m),
    retention: new RetentionRepo(m),
    apiKeys: new ApiKeysRepo(m),
    audit: new AuditRepo(m),
    anomalies: new AnomaliesRepo(m),
    refunds: new RefundsRepo(m),
    reconciliations: new ReconciliationsRepo(m),
    webhooks: new WebhooksRepo(m),
    merchantOrders: new MerchantOrdersRepo(m),
  };
}

/** `jobs` is read at each enqueue: the job engine starts after the database is open. */
export function createDb(ds: DataSource, jobs: () => JobSink | null = () => null): Db {
  return {
    repos: createRepos(ds.manager, jobs),
    transaction: (fn) => ds.transaction((em) => fn(createRepos(em, jobs))),
    ping: async () => (await ds.query("SELECT 1 AS ok"))[0]?.ok === 1,
  };
}

export type * from "./types";
export type { JobScheduler, JobSink, NewJob } from "./jobs";
export type { RefundRecord, RefundFilter } from "./refunds";
export type { MerchantOrderRecord } from "./merchant-orders";
export type { NotifySettleInput, NotifySettleResult } from "./notify-settle";
