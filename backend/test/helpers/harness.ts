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
import { createLogger, type Logger } from "../../src/logger";
import { SecretBox } from "../../src/security/secret-box";
import type { ServiceDeps } from "../../src/services/deps";
import { MerchantStore, type MerchantRecord } from "../../src/services/merchants";
import type { Sweeper } from "../../src/services/sweeper";
import { compose } from "../../src/compose";
import type { PaymentGateway, WechatAuth } from "../../src/wechat/types";
import { createTestDatabaseUrl } from "./db";

export interface Harness {
  url: string;
  ds: DataSource;
  logs: string[];
  logger: Logger;
  deps: ServiceDeps;
  sweeper: Sweeper;
  box: SecretBox;
  close(): Promise<void>;
}

export function unusedGateway(): PaymentGateway {
  const no = () => {
    throw new Error("gateway must not be called in this test");
  };
  return new Proxy({} as PaymentGateway, { get: (_t, p) => (p === "apiVersion" ? "v3" : no) });
}

export function unusedAuth(): WechatAuth {
  return {
    appid: "wx-test",
    code2Session: async () => {
      throw new Error("code2Session must not be called in this test");
    },
  };
}

export async function startHarness(opts: {
  gateway?: PaymentGateway;
  auth?: WechatAuth;
  merchant?: MerchantRecord;
  now?: () => Date;
  bodyLimit?: number;
  verifyPerMinute?: number;
  h5Dir?: string;
}): Promise<Harness> {
  const ds = createDataSource(await createTestDatabaseUrl());
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
  const box = new SecretBox(crypto.randomBytes(32));
  const deps: ServiceDeps = {
    ds,
    now: opts.now ?? (() => new Date()),
    randomBytes: crypto.randomBytes,
    logger,
  };
  const gateway = opts.gateway ?? unusedGateway();
  const wechatAuth = opts.auth ?? unusedAuth();
  const merchant: MerchantRecord = opts.merchant ?? {
    id: "default",
    credentials: {
      apiVersion: "v3",
      appid: wechatAuth.appid,
      mchid: "1900000001",
      baseUrl: "http://127.0.0.1:9",
    },
    appsecret: "unused",
    loginBaseUrl: "http://127.0.0.1:9",
    sandboxUrl: null,
  };
  await new MerchantStore(deps, box).save(merchant);
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { app, sweeper } = await compose({
    deps,
    box,
    merchant,
    gateway,
    wechatAuth,
    publicBaseUrl: () => url,
    ready: async () => true,
    h5Dir: opts.h5Dir ?? null,
    limits: {
      sessionIdleMinutes: 60,
      sessionMaxDays: 30,
      orderTtlMinutes: 30,
      verifyPerMinute: opts.verifyPerMinute ?? 1000,
      bodyLimitBytes: opts.bodyLimit ?? 64 * 1024,
    },
  });
  server.on("request", app.callback());
  return {
    url,
    ds,
    logs,
    logger,
    deps,
    box,
    sweeper,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await ds.destroy();
    },
  };
}
