/**
 * Builds the services and the HTTP app from their adapters. boot.ts calls it for a real run; the
 * test harness calls it with a per-file database, so tests run the same wiring as production.
 * Nothing here knows a particular merchant: requests find theirs through the registry.
 */
import type Koa from "koa";
import { isDatabaseUnavailable } from "./db/unavailable";
import { createApp } from "./http/app";
import type { MerchantRegistry } from "./merchants/registry";
import type { SecretBox } from "./security/secret-box";
import { AnomalyService } from "./services/admin/anomalies";
import { AuditLogService } from "./services/admin/audit-log";
import { ApiKeyService } from "./services/admin/keys";
import { AdminProductService } from "./services/admin/products";
import type { AdminLimiter } from "./http/middleware/merchant-key";
import { AuthService } from "./services/auth";
import { CatalogService } from "./services/catalog";
import type { ServiceDeps } from "./services/deps";
import { NotifyService } from "./services/notify";
import { OrderService } from "./services/orders";
import { PaymentService } from "./services/payments";
import { RateLimiter } from "./services/rate-limit";
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
  };
  /** Per-key limits for /admin/v1; none until the shared rate-limit store is wired in. */
  adminLimiter?: AdminLimiter;
}

export interface Composed {
  app: Koa;
  sweeper: Sweeper;
  catalog: CatalogService;
  keys: ApiKeyService;
}

export function compose(i: ComposeInput): Composed {
  const { deps, registry } = i;
  const auth = new AuthService(deps, i.box, {
    idleMinutes: i.limits.sessionIdleMinutes,
    maxDays: i.limits.sessionMaxDays,
    hintKey: i.box.derive("openid-hint"),
  });
  const catalog = new CatalogService(deps);
  const orders = new OrderService(deps, i.limits.orderTtlMinutes);
  const payments = new PaymentService(deps, orders);
  const notify = new NotifyService(deps);
  const keys = new ApiKeyService(deps);
  const app = createApp({
    logger: deps.logger,
    notify,
    ready: i.ready,
    isUnavailable: isDatabaseUnavailable,
    h5Dir: i.h5Dir,
    api: {
      registry,
      auth,
      catalog,
      orders,
      payments,
      verifyLimiter: new RateLimiter(i.limits.verifyPerMinute, 60_000),
      bodyLimit: i.limits.bodyLimitBytes,
    },
    admin: {
      keys,
      registry,
      limiter: i.adminLimiter,
      audit: new AuditLogService(deps),
      products: new AdminProductService(deps),
      anomalies: new AnomalyService(deps),
      bodyLimit: i.limits.bodyLimitBytes,
    },
  });
  return { app, sweeper: new Sweeper(deps, (id) => registry.byId(id)), catalog, keys };
}
