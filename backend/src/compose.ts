/**
 * Builds the services and the HTTP app from their adapters. boot.ts calls it for a real run; the
 * test harness calls it with a per-file database, so tests run the same wiring as production.
 * Nothing here knows a particular merchant: requests find theirs through the registry.
 */
import type Koa from "koa";
import { isDatabaseUnavailable } from "./db/unavailable";
import { instrumentDb, instrumentRegistry } from "./metrics/instrument";
import { createPrometheusMetrics, type PrometheusMetrics } from "./metrics/prometheus";
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
import { RefundNotifyService } from "./services/refund-notify";
import { MerchantRefundService } from "./services/merchant-refunds";
import { RefundService } from "./services/refunds";
import { ReconciliationService, type RefundsForDay } from "./services/reconciliation";
import { RetentionJob } from "./services/retention";
import { Sweeper } from "./services/sweeper";
import { WebhookAdminService } from "./services/admin/webhooks";
import { WebhookDispatcher, type ObjectLoader } from "./services/webhook-dispatch";
import { createWebhookSender, resolveWebhookTarget, type Resolver } from "./webhooks/sender";

export interface ComposeInput {
  deps: ServiceDeps;
  box: SecretBox;
  registry: MerchantRegistry;
  ready: () => Promise<boolean>;
  h5Dir: string | null;
  /** The built merchant console (console/dist), served at /console/. */
  consoleDir?: string | null;
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
  /** This app's metrics (its own registry); a new set by default. */
  metrics?: PrometheusMetrics;
  /** Bearer token for GET /metrics; null or unset leaves it open. */
  metricsToken?: string | null;
  /** Our refund records of a day, for reconciliation; the refunds table by default (tests may plant). */
  refundsForDay?: RefundsForDay;
  /** Merchant webhooks; https to public addresses only, 10 s timeout and the standard schedule by default. */
  webhooks?: {
    allowPrivate?: boolean;
    timeoutMs?: number;
    retrySeconds?: readonly number[];
    disableAfterMs?: number;
    resolver?: Resolver;
    objects?: Record<string, ObjectLoader>;
  };
}

export interface Composed {
  app: Koa;
  sweeper: Sweeper;
  retention: RetentionJob;
  catalog: CatalogService;
  keys: ApiKeyService;
  metrics: PrometheusMetrics;
  /** The services' deps and registry as the jobs must use them too (instrumented). */
  deps: ServiceDeps;
  registry: MerchantRegistry;
  reconciliations: ReconciliationService;
  /** Fans the outbox out to webhook deliveries and makes their attempts (the jobs call it). */
  webhooks: WebhookDispatcher;
}

const perMinute = (bucket: string, limit: number): RateRule => ({ bucket, limit, windowSeconds: 60 });

export function compose(i: ComposeInput): Composed {
  const { limits } = i;
  const metrics = i.metrics ?? createPrometheusMetrics();
  const deps: ServiceDeps = { ...i.deps, db: instrumentDb(i.deps.db, metrics), metrics };
  const registry = instrumentRegistry(i.registry, metrics);
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
  const refunds = new RefundService(deps, limits.paymentCheckSeconds);
  const reconciliations = new ReconciliationService(
    deps,
    (id) => registry.byId(id),
    i.refundsForDay ?? ((merchantId, day) => refunds.forReconciliation(merchantId, day)),
  );
  const hooks = { allowPrivate: i.webhooks?.allowPrivate ?? false, resolver: i.webhooks?.resolver };
  const webhooks = new WebhookDispatcher(
    deps,
    i.box,
    createWebhookSender({ ...hooks, timeoutMs: i.webhooks?.timeoutMs ?? 10_000 }),
    {
      retrySeconds: i.webhooks?.retrySeconds,
      disableAfterMs: i.webhooks?.disableAfterMs,
      objects: i.webhooks?.objects,
    },
  );
  const checkUrl = async (url: string) => {
    const t = await resolveWebhookTarget(url, hooks);
    return t.ok ? null : t.reason;
  };
  const adminOrders = new AdminOrderService(deps);
  const merchantOrders = new MerchantOrderService(deps, payments, adminOrders, (id) => registry.byId(id), {
    defaultTtlMinutes: limits.orderTtlMinutes,
    tokenKey: i.box.derive("checkout-token"),
    checkUrl,
  });
  const app = createApp({
    logger: deps.logger,
    notify,
    refundNotify: new RefundNotifyService(deps),
    ready: i.ready,
    isUnavailable: isDatabaseUnavailable,
    h5Dir: i.h5Dir,
    consoleDir: i.consoleDir,
    trustProxy: i.trustProxy,
    metrics: {
      port: metrics,
      endpoint: { text: metrics.text, contentType: metrics.contentType, token: i.metricsToken ?? null },
    },
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
      // Refund status checks follow the payment-check schedule (the first ~30 s after the request).
      refunds,
      reconciliations,
      webhooks: new WebhookAdminService(deps, i.box, checkUrl, webhooks),
      bodyLimit: i.limits.bodyLimitBytes,
    },
    merchantApi: {
      keys,
      registry,
      limiter: adminLimiter,
      merchantOrders,
      merchantRefunds: new MerchantRefundService(deps, refunds),
      bodyLimit: limits.bodyLimitBytes,
    },
  });
  const retention = new RetentionJob(deps, {
    ...i.retention,
    sessionIdleMinutes: limits.sessionIdleMinutes,
    rateWindowMinutes: 60,
    batch: 1000,
    maxBatches: 20,
  });
  return {
    app,
    sweeper: new Sweeper(deps, (id) => registry.byId(id)),
    retention,
    catalog,
    keys,
    metrics,
    deps,
    registry,
    reconciliations,
    webhooks,
  };
}
