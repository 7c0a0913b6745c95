/**
 * The Koa app factory. Tests build it with real services over a real database; main/boot listens.
 */
import Koa from "koa";
import type { Logger } from "../logger";
import { accessLog } from "./middleware/access-log";
import { errorHandler, sendError } from "./middleware/errors";
import { requestId } from "./middleware/request-id";
import { adminRouter, type AdminDeps } from "./routes/admin";
import { apiRouter, type ApiDeps } from "./routes/api";
import { checkoutRouter } from "./routes/checkout";
import { healthRouter } from "./routes/health";
import { merchantRouter, type MerchantApiDeps } from "./routes/merchant";
import { notifyRouter } from "./routes/notify";
import { openApiRouter } from "./routes/openapi";
import { serveH5 } from "./routes/static";
import type { NotifyService } from "../services/notify";

export interface AppDeps {
  logger: Logger;
  api: ApiDeps;
  /** The merchant admin API (/admin/v1); left out, those routes do not exist. */
  admin?: AdminDeps;
  /** Payment-centre mode (/merchant/v1 and the checkout page /pay); left out, those routes do not exist. */
  merchantApi?: MerchantApiDeps;
  notify: NotifyService;
  /** Resolves when the database answers; rejects with the reason otherwise. */
  ready: () => Promise<boolean>;
  /** Errors meaning "a dependency is down" (503 + Retry-After), not a bug (500). */
  isUnavailable?: (err: unknown) => boolean;
  h5Dir?: string | null;
  /** Honour X-Forwarded-For (ctx.ip) only when a trusted proxy sets it. */
  trustProxy?: boolean;
}

export function createApp(deps: AppDeps): Koa {
  // Behind a trusted proxy, only the address it appended (the last X-Forwarded-For entry) counts:
  // anything to its left came from the client and can be forged.
  const app = new Koa({ proxy: deps.trustProxy ?? false, maxIpsCount: 1 });
  app.silent = true; // errors are logged by errorHandler, never printed as stack traces
  app.use(requestId());
  app.use(accessLog(deps.logger));
  app.use(errorHandler(deps.logger, deps.isUnavailable));
  app.use(async (ctx, next) => {
    ctx.set("X-Content-Type-Options", "nosniff");
    await next();
  });
  const health = healthRouter(deps.ready, deps.isUnavailable);
  const api = apiRouter(deps.api);
  const notify = notifyRouter(deps.api.registry, deps.notify, deps.api.bodyLimit);
  const routers = [health, api, notify];
  if (deps.admin) routers.push(adminRouter(deps.admin), openApiRouter());
  if (deps.merchantApi)
    routers.push(merchantRouter(deps.merchantApi), checkoutRouter(deps.merchantApi.merchantOrders));
  for (const r of routers) {
    app.use(r.routes());
    app.use(r.allowedMethods({ throw: true }));
  }
  if (deps.h5Dir) app.use(serveH5("/app/", deps.h5Dir));
  app.use(async (ctx) => {
    if (ctx.path === "/" && deps.h5Dir) return ctx.redirect("/app/");
    sendError(ctx, "NOT_FOUND");
  });
  return app;
}
