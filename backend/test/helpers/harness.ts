/**
 * Builds the real app over a real (per-file) database, for HTTP tests. The WeChat adapters are
 * passed in: the sandbox-backed real ones in end-to-end suites, or ones that must not be called.
 */
import crypto from "node:crypto";
import http from "node:http";
import { Writable } from "node:stream";
import type { AddressInfo } from "node:net";
import type { DataSource } from "typeorm";
import { createDataSource, runMigrations } from "../../src/db/data-source";
import { createDb, type Db } from "../../src/db/repositories";
import { createLogger, type Logger } from "../../src/logger";
import {
  createMerchantRegistry,
  type AdapterFactory,
  type MerchantRegistry,
} from "../../src/merchants/registry";
import { merchantIdFor } from "../../src/merchants/secrets";
import { seedDemoCatalogues, seedMerchants } from "../../src/merchants/seed";
import type { MerchantSeed } from "../../src/merchants/sources";
import { SecretBox } from "../../src/security/secret-box";
import type { ServiceDeps } from "../../src/services/deps";
import type { RetentionJob } from "../../src/services/retention";
import type { Sweeper } from "../../src/services/sweeper";
import { compose, type ComposeInput } from "../../src/compose";
import type { JobEngine } from "../../src/jobs/engine";
import { startOrderJobs } from "../../src/jobs/order-queues";
import { reconciliationQueues } from "../../src/jobs/reconciliation-queues";
import type { ReconciliationService, RefundsForDay } from "../../src/services/reconciliation";
import { webhookQueues } from "../../src/jobs/webhook-queues";
import type { WebhookDispatcher } from "../../src/services/webhook-dispatch";
import type { AdminLimiter } from "../../src/http/middleware/merchant-key";
import type { PaymentGateway, WechatAuth } from "../../src/wechat/types";
import { createTestDatabaseUrl } from "./db";

export interface Harness {
  url: string;
  ds: DataSource;
  db: Db;
  logs: string[];
  logger: Logger;
  deps: ServiceDeps;
  sweeper: Sweeper;
  retention: RetentionJob;
  registry: MerchantRegistry;
  box: SecretBox;
  reconciliations: ReconciliationService;
  /** The job engine when `jobs` was asked for. */
  jobs(): JobEngine | null;
  /** Webhook fan-out and attempts (fan-out runs on its own only with `webhooks.fanoutMs` and `jobs`). */
  webhooks: WebhookDispatcher;
  close(): Promise<void>;
}

export function unusedGateway(): PaymentGateway {
  const no = () => {
    throw new Error("gateway must not be called in this test");
  };
  return new Proxy({} as PaymentGateway, { get: (_t, p) => (p === "apiVersion" ? "v3" : no) });
}

export function unusedAuth(appid: string): WechatAuth {
  return {
    appid,
    code2Session: async () => {
      throw new Error("code2Session must not be called in this test");
    },
  };
}

/** A merchant that no test may call WeChat for (HTTP-level tests). */
export function offlineMerchant(): MerchantSeed {
  return {
    name: "offline",
    source: "file",
    credentials: {
      apiVersion: "v3",
      appid: "wx00000000000000aa",
      mchid: "1900000001",
      baseUrl: "http://127.0.0.1:9",
    },
    appsecret: "unused",
    loginBaseUrl: "http://127.0.0.1:9",
    sandboxUrl: null,
    demoProducts: true,
  };
}

export const offlineAdapters: AdapterFactory = {
  gateway: () => unusedGateway(),
  auth: (s) => unusedAuth(s.credentials.appid),
};

export async function startHarness(opts: {
  merchants?: MerchantSeed[];
  /** Builds each merchant's WeChat adapters; offline ones by default. */
  adapters?: AdapterFactory;
  /** An existing database (a restart on the same data); a fresh one by default. */
  databaseUrl?: string;
  now?: () => Date;
  bodyLimit?: number;
  verifyPerMinute?: number;
  /** Abuse limits; generous by default so suites about other things never meet them. */
  limits?: Partial<ComposeInput["limits"]>;
  retention?: Partial<ComposeInput["retention"]>;
  trustProxy?: boolean;
  h5Dir?: string;
  /** The master key; reuse it to reopen a database's sealed credentials. */
  masterKey?: Buffer;
  /** Run the job engine (payment checks, expiry) with this schedule in seconds; off by default. */
  jobs?: { scheduleSeconds: number[] };
  /** The base URL WeChat is told to notify (a capturing proxy in some tests); the server's own by default. */
  publicBaseUrl?: (ownUrl: string) => string;
  /** The per-key limiter of /admin/v1 (none by default, as in production until it is wired). */
  adminLimiter?: AdminLimiter;
  /** Bearer token for GET /metrics; open by default. */
  metricsToken?: string;
  /** Our refunds of a day, as reconciliation sees them (the refunds table by default). */
  refundsForDay?: RefundsForDay;
  /** Webhook options (private addresses allowed by default, as with ALLOW_PRIVATE_WEBHOOKS=true). */
  webhooks?: ComposeInput["webhooks"] & { fanoutMs?: number };
}): Promise<Harness> {
  const ds = createDataSource(opts.databaseUrl ?? (await createTestDatabaseUrl()));
  await ds.initialize();
  await runMigrations(ds);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger({ level: "info", pretty: false, destination: sink });
  const box = new SecretBox(opts.masterKey ?? crypto.randomBytes(32));
  let engine: JobEngine | null = null;
  const db = createDb(ds, () => engine?.sink() ?? null);
  const deps: ServiceDeps = {
    db,
    now: opts.now ?? (() => new Date()),
    randomBytes: crypto.randomBytes,
    logger,
  };
  const seeds = opts.merchants ?? [offlineMerchant()];
  await seedMerchants(db, box, seeds, logger);
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const registry = createMerchantRegistry({
    repo: db.repos.merchants,
    box,
    adapters: opts.adapters ?? offlineAdapters,
    publicBaseUrl: () => (opts.publicBaseUrl ? opts.publicBaseUrl(url) : url),
    refreshMs: 200,
  });
  const composed = compose({
    deps,
    box,
    registry,
    ready: () => db.ping(),
    h5Dir: opts.h5Dir ?? null,
    limits: {
      sessionIdleMinutes: 60,
      sessionMaxDays: 30,
      orderTtlMinutes: 30,
      verifyPerMinute: opts.verifyPerMinute ?? 1000,
      bodyLimitBytes: opts.bodyLimit ?? 64 * 1024,
      paymentCheckSeconds: opts.jobs?.scheduleSeconds,
      loginPerClientPerMinute: 100_000,
      loginPerAppPerMinute: 100_000,
      ordersPerUserPerMinute: 100_000,
      maxOpenOrdersPerUser: 1000,
      maxQuantityPerProductPerUser: 100_000,
      adminPerKeyPerMinute: 100_000,
      ...opts.limits,
    },
    retention: { loginCodeHours: 24, sessionDays: 7, notifyLogDays: 90, ...opts.retention },
    trustProxy: opts.trustProxy ?? false,
    adminLimiter: opts.adminLimiter,
    metricsToken: opts.metricsToken ?? null,
    refundsForDay: opts.refundsForDay,
    webhooks: { allowPrivate: true, ...opts.webhooks },
  });
  const { app, sweeper, retention, catalog, webhooks } = composed;
  if (opts.jobs) {
    engine = await startOrderJobs({
      connectionString: (ds.options as { url: string }).url,
      deps: composed.deps,
      merchantById: (id) => composed.registry.byId(id),
      scheduleSeconds: opts.jobs.scheduleSeconds,
      pollingIntervalSeconds: 0.5,
      extraQueues: [
        ...reconciliationQueues({
          deps: composed.deps,
          service: composed.reconciliations,
          merchants: () => composed.registry.all(),
        }),
        ...webhookQueues(webhooks),
      ],
    });
    const running = engine;
    composed.metrics.watchQueues(() => running.depths());
  }
  if (opts.jobs && opts.webhooks?.fanoutMs) webhooks.start(opts.webhooks.fanoutMs);
  await seedDemoCatalogues(catalog, seeds);
  server.on("request", app.callback());
  return {
    url,
    ds,
    db,
    logs,
    logger,
    deps,
    box,
    sweeper,
    retention,
    registry,
    reconciliations: composed.reconciliations,
    jobs: () => engine,
    webhooks,
    close: async () => {
      await webhooks.stop();
      await engine?.stop(5000);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await ds.destroy();
    },
  };
}

export { merchantIdFor };
