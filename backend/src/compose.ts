/**
 * Builds the services and the HTTP app from their adapters. boot.ts calls it for a real run; the
 * test harness calls it with a per-file database, so tests run the same wiring as production.
 */
import type Koa from "koa";
import { createApp } from "./http/app";
import type { SecretBox } from "./security/secret-box";
import { AuthService } from "./services/auth";
import { CatalogService } from "./services/catalog";
import type { ServiceDeps } from "./services/deps";
import type { MerchantRecord } from "./services/merchants";
import { NotifyService } from "./services/notify";
import { OrderService } from "./services/orders";
import { PaymentService } from "./services/payments";
import { RateLimiter } from "./services/rate-limit";
import { Sweeper } from "./services/sweeper";
import type { PaymentGateway, WechatAuth } from "./wechat/types";

export interface ComposeInput {
  deps: ServiceDeps;
  box: SecretBox;
  merchant: MerchantRecord;
  gateway: PaymentGateway;
  wechatAuth: WechatAuth;
  /** Read lazily: a test server knows its URL only after it listens. */
  publicBaseUrl: () => string;
  ready: () => Promise<boolean>;
  h5Dir: string | null;
  limits: {
    sessionIdleMinutes: number;
    sessionMaxDays: number;
    orderTtlMinutes: number;
    verifyPerMinute: number;
    bodyLimitBytes: number;
  };
}

export interface Composed {
  app: Koa;
  sweeper: Sweeper;
  /** Demo products inserted (first start only). */
  seeded: number;
}

export async function compose(i: ComposeInput): Promise<Composed> {
  const { deps, merchant, gateway } = i;
  const creds = merchant.credentials;
  const identity = () => ({ id: merchant.id, appid: creds.appid, mchid: creds.mchid });
  const notifyUrl = () => `${i.publicBaseUrl()}/notify/wechat/${creds.apiVersion}/pay`;
  const auth = new AuthService(deps, i.wechatAuth, i.box, {
    idleMinutes: i.limits.sessionIdleMinutes,
    maxDays: i.limits.sessionMaxDays,
    hintKey: i.box.derive("openid-hint"),
  });
  const catalog = new CatalogService(deps);
  const seeded = await catalog.seedDemo();
  const orders = new OrderService(deps, () => merchant.id, i.limits.orderTtlMinutes);
  const payments = new PaymentService(deps, orders, () => gateway, identity, notifyUrl);
  const notify = new NotifyService(deps, () => gateway, identity);
  const app = createApp({
    logger: deps.logger,
    notify,
    ready: i.ready,
    h5Dir: i.h5Dir,
    api: {
      auth,
      catalog,
      orders,
      payments,
      verifyLimiter: new RateLimiter(i.limits.verifyPerMinute, 60_000),
      bodyLimit: i.limits.bodyLimitBytes,
      clientConfig: () => ({
        appid: creds.appid,
        sandboxUrl: merchant.sandboxUrl,
        paymentMethods: ["jsapi", "native"],
      }),
    },
  });
  return { app, sweeper: new Sweeper(deps, () => gateway, identity), seeded };
}
