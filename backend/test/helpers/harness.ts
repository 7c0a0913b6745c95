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
import type { Sweeper } from "../../src/services/sweeper";
import { compose } from "../../src/compose";
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
  registry: MerchantRegistry;
  box: SecretBox;
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
  h5Dir?: string;
  /** The master key; reuse it to reopen a database's sealed credentials. */
  masterKey?: Buffer;
  /** The base URL WeChat is told to notify (a capturing proxy in some tests); the server's own by default. */
  publicBaseUrl?: (ownUrl: string) => string;
  /** The per-key limiter of /admin/v1 (none by default, as in production until it is wired). */
  adminLimiter?: AdminLimiter;
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
  const db = createDb(ds);
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
  const { app, sweeper, catalog } = compose({
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
    },
    adminLimiter: opts.adminLimiter,
  });
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
    registry,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await ds.destroy();
    },
  };
}

export { merchantIdFor };
