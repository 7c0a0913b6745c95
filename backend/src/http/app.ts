/**
 * The Koa app factory. Tests build it with real services over a real database; main/boot listens.
 */
import Koa from "koa";
import type { Logger } from "../logger";
import { accessLog } from "./middleware/access-log";
import { errorHandler, sendError } from "./middleware/errors";
import { notifyErrorShape } from "./middleware/notify-errors";
import { requestId } from "./middleware/request-id";
import { adminRouter, type AdminDeps } from "./routes/admin";
import { adminMeRouter } from "./routes/admin-me";
import { apiRouter, type ApiDeps } from "./routes/api";
import { httpMetrics } from "./middleware/http-metrics";
import { docsRouter } from "./routes/docs";
import { healthRouter } from "./routes/health";
import { metricsRouter, type MetricsEndpoint } from "./routes/metrics";
import { checkoutRouter } from "./routes/checkout";
import { merchantRouter, type MerchantApiDeps } from "./routes/merchant";
import { notifyRouter } from "./routes/notify";
import { openApiRouter } from "./routes/openapi";
import { serveH5 } from "./routes/static";
import type { NotifyService } from "../services/notify";
import type { RefundNotifyService } from "../services/refund-notify";
import type { MetricsPort } from "../services/metrics-port";

export interface AppDeps {
  logger: Logger;
  api: ApiDeps;
  /** The merchant admin API (/admin/v1); left out, those routes do not exist. */
  admin?: AdminDeps;
  /** Payment-centre mode (/merchant/v1 and the checkout page /pay); left out, those routes do not exist. */
  merchantApi?: MerchantApiDeps;
  notify: NotifyService;
  /** Refund notifies (/notify/wechat/{merchant}/{v2,v3}/refund, and v3 REFUND.* at the pay URL). */
  refundNotify?: RefundNotifyService;
  /** Resolves when the database answers; rejects with the reason otherwise. */
  ready: () => Promise<boolean>;
  /** Errors meaning "a dependency is down" (503 + Retry-After), not a bug (500). */
  isUnavailable?: (err: unknown) => boolean;
  h5Dir?: string | null;
  /** The built merchant console, served at /console/ (it talks to /admin/v1 like any client). */
  consoleDir?: string | null;
  /** Honour X-Forwarded-For (ctx.ip) only when a trusted proxy sets it. */
  trustProxy?: boolean;
  /** Request timing, and GET /metrics when `endpoint` is given. */
  metrics?: { port: MetricsPort; endpoint: MetricsEndpoint | null };
}

export function createApp(deps: AppDeps): Koa {
  // Behind a trusted proxy, only the address it appended (the last X-Forwarded-For entry) counts:
  // anything to its left came from the client and can be forged.
  const app = new Koa({ proxy: deps.trustProxy ?? false, maxIpsCount: 1 });
  app.silent = true; // errors are logged by errorHandler, never printed as stack traces
  app.use(requestId());
  if (deps.metrics) app.use(httpMetrics(deps.metrics.port));
  app.use(accessLog(deps.logger));
  app.use(notifyErrorShape());
  app.use(errorHandler(deps.logger, deps.isUnavailable));
  app.use(async (ctx, next) => {
    ctx.set("X-Content-Type-Options", "nosniff");
    await next();
  });
  const health = healthRouter(deps.ready, deps.isUnavailable);
  const api = apiRouter(deps.api);
  const notify = notifyRouter(deps.api.registry, deps.notify, deps.api.bodyLimit, deps.refundNotify);
  const routers = [health, api, notify];
  if (deps.admin)
    routers.push(adminRouter(deps.admin), adminMeRouter(deps.admin), openApiRouter(), docsRouter());
  if (deps.metrics?.endpoint) routers.push(metricsRouter(deps.metrics.endpoint));
  if (deps.merchantApi)
    routers.push(merchantRouter(deps.merchantApi), checkoutRouter(deps.merchantApi.merchantOrders));
  for (const r of routers) {
    app.use(r.routes());
    app.use(r.allowedMethods({ throw: true }));
  }
  if (deps.h5Dir) app.use(serveH5("/app/", deps.h5Dir));
  if (deps.consoleDir) app.use(serveH5("/console/", deps.consoleDir));
  app.use(async (ctx) => {
    if (ctx.path === "/" && deps.h5Dir) return ctx.redirect("/app/");
    sendError(ctx, "NOT_FOUND");
  });
  return app;
}
