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
import { createApp } from "../../src/http/app";
import { createLogger, type Logger } from "../../src/logger";
import { SecretBox } from "../../src/security/secret-box";
import { AuthService } from "../../src/services/auth";
import { CatalogService } from "../../src/services/catalog";
import type { ServiceDeps } from "../../src/services/deps";
import { MerchantStore, type MerchantRecord } from "../../src/services/merchants";
import { NotifyService } from "../../src/services/notify";
import { OrderService } from "../../src/services/orders";
import { PaymentService } from "../../src/services/payments";
import { RateLimiter } from "../../src/services/rate-limit";
import { Sweeper } from "../../src/services/sweeper";
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
  const identity = { id: merchant.id, appid: merchant.credentials.appid, mchid: merchant.credentials.mchid };
  const auth = new AuthService(deps, wechatAuth, box, {
    idleMinutes: 60,
    maxDays: 30,
    hintKey: box.derive("openid-hint"),
  });
  const catalog = new CatalogService(deps);
  await catalog.seedDemo();
  const orders = new OrderService(deps, () => merchant.id, 30);
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const notifyUrl = `${url}/notify/wechat/${merchant.credentials.apiVersion}/pay`;
  const payments = new PaymentService(
    deps,
    orders,
    () => gateway,
    () => identity,
    () => notifyUrl,
  );
  const notify = new NotifyService(
    deps,
    () => gateway,
    () => identity,
  );
  const app = createApp({
    logger,
    notify,
    ready: async () => true,
    h5Dir: opts.h5Dir,
    api: {
      auth,
      catalog,
      orders,
      payments,
      verifyLimiter: new RateLimiter(opts.verifyPerMinute ?? 1000, 60_000),
      bodyLimit: opts.bodyLimit ?? 64 * 1024,
      clientConfig: () => ({
        appid: identity.appid,
        sandboxUrl: merchant.sandboxUrl,
        paymentMethods: ["jsapi", "native"],
      }),
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
    sweeper: new Sweeper(
      deps,
      () => gateway,
      () => identity,
    ),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await ds.destroy();
    },
  };
}
