/**
 * Builds the services and the HTTP app from their adapters. boot.ts calls it for a real run; the
 * test harness calls it with a per-file database, so tests run the same wiring as production.
 * Nothing here knows a particular merchant: requests find theirs through the registry.
 */
import type Koa from "koa";
import { isDatabaseUnavailable } from "./db/unavailable";
import { AppError } from "./domain/errors";
import { createApp } from "./http/app";
import type { MerchantRegistry } from "./merchants/registry";
import type { SecretBox } from "./security/secret-box";
import { AnomalyService } from "./services/admin/anomalies";
import { AuditLogService } from "./services/admin/audit-log";
import { ApiKeyService } from "./services/admin/keys";
import { AdminOrderService } from "./services/admin/orders";
import { OrderExport } from "./services/admin/orders-csv";
import { AdminProductService } from "./services/admin/products";
import { ReportService } from "./services/admin/reports";
import type { AdminLimiter } from "./http/middleware/merchant-key";
import { AuthService } from "./services/auth";
import { CatalogService } from "./services/catalog";
import { MerchantOrderService } from "./services/merchant-orders";
import type { ServiceDeps } from "./services/deps";
import { NotifyService } from "./services/notify";
import { OrderService } from "./services/orders";
import { PaymentService } from "./services/payments";
import { RateLimiter, type RateRule } from "./services/rate-limit";
import { RetentionJob } from "./services/retention";
import { Sweeper } from "./services/sweeper";

export interface ComposeInput {
  deps: ServiceDeps;
  box: SecretBox;
  registry: MerchantRegistry;
  ready: () => Promise<boolean>;
  h5Dir: string | null;
  limits: {
    sessionIdleMinutes: number;
    sessionMaxDays: number;
    orderTtlMinutes: number;
    verifyPerMinute: number;
    bodyLimitBytes: number;
    /** Seconds from prepay to each payment check; default 30, 60, 120, 300, 600. */
    paymentCheckSeconds?: readonly number[];
    loginPerClientPerMinute: number;
    loginPerAppPerMinute: number;
    ordersPerUserPerMinute: number;
    maxOpenOrdersPerUser: number;
    maxQuantityPerProductPerUser: number;
    /** Requests per admin API key per minute. */
    adminPerKeyPerMinute: number;
  };
  retention: { loginCodeHours: number; sessionDays: number; notifyLogDays: number };
  /** Honour X-Forwarded-For for the client address. */
  trustProxy: boolean;
  /** Per-key limits for /admin/v1; none until the shared rate-limit store is wired in. */
  adminLimiter?: AdminLimiter;
  /** Development: merchant notify/return URLs may be http:// on a loopback host. */
  allowLoopbackHttp?: boolean;
}

export interface Composed {
  app: Koa;
  sweeper: Sweeper;
  retention: RetentionJob;
  catalog: CatalogService;
  keys: ApiKeyService;
}

const perMinute = (bucket: string, limit: number): RateRule => ({ bucket, limit, windowSeconds: 60 });

export function compose(i: ComposeInput): Composed {
  const { deps, registry, limits } = i;
  const limiter = new RateLimiter(deps, i.box.derive("rate-limit-key"));
  const auth = new AuthService(
    deps,
    i.box,
    {
      idleMinutes: limits.sessionIdleMinutes,
      maxDays: limits.sessionMaxDays,
      hintKey: i.box.derive("openid-hint"),
      perClient: perMinute("login-client", limits.loginPerClientPerMinute),
      perApp: perMinute("login-app", limits.loginPerAppPerMinute),
    },
    limiter,
  );
  const catalog = new CatalogService(deps);
  const orders = new OrderService(
    deps,
    limits.orderTtlMinutes,
    {
      perUser: perMinute("order-user", limits.ordersPerUserPerMinute),
      maxOpen: limits.maxOpenOrdersPerUser,
      maxQuantityPerProduct: limits.maxQuantityPerProductPerUser,
    },
    limiter,
  );
  const verifyRule = perMinute("verify-user", limits.verifyPerMinute);
  const adminRule = perMinute("admin-key", limits.adminPerKeyPerMinute);
  // Admin keys share the same store as shoppers' limits, so every instance counts together.
  const adminLimiter: AdminLimiter = i.adminLimiter ?? {
    take: async (key) => {
      try {
        await limiter.take(adminRule, key);
        return { allowed: true, retryAfterSeconds: 0 };
      } catch (err) {
        if (err instanceof AppError && err.code === "RATE_LIMITED")
          return { allowed: false, retryAfterSeconds: Number(err.headers?.["Retry-After"] ?? 60) };
        throw err;
      }
    },
  };
  const payments = new PaymentService(deps, orders, limits.paymentCheckSeconds);
  const notify = new NotifyService(deps);
  const keys = new ApiKeyService(deps);
  const adminOrders = new AdminOrderService(deps);
  const merchantOrders = new MerchantOrderService(deps, payments, adminOrders, (id) => registry.byId(id), {
    defaultTtlMinutes: limits.orderTtlMinutes,
    tokenKey: i.box.derive("checkout-token"),
    allowLoopbackHttp: i.allowLoopbackHttp ?? false,
  });
  const app = createApp({
    logger: deps.logger,
    notify,
    ready: i.ready,
    isUnavailable: isDatabaseUnavailable,
    h5Dir: i.h5Dir,
    trustProxy: i.trustProxy,
    api: {
      registry,
      auth,
      catalog,
      orders,
      payments,
      verifyLimit: (userId) => limiter.take(verifyRule, userId),
      bodyLimit: limits.bodyLimitBytes,
    },
    admin: {
      keys,
      registry,
      limiter: adminLimiter,
      audit: new AuditLogService(deps),
      products: new AdminProductService(deps),
      anomalies: new AnomalyService(deps),
      orders: adminOrders,
      reports: new ReportService(deps),
      exports: new OrderExport(deps),
      bodyLimit: i.limits.bodyLimitBytes,
    },
    merchantApi: { keys, registry, limiter: adminLimiter, merchantOrders, bodyLimit: limits.bodyLimitBytes },
  });
  const retention = new RetentionJob(deps, {
    ...i.retention,
    sessionIdleMinutes: limits.sessionIdleMinutes,
    rateWindowMinutes: 60,
    batch: 1000,
    maxBatches: 20,
  });
  return { app, sweeper: new Sweeper(deps, (id) => registry.byId(id)), retention, catalog, keys };
}
