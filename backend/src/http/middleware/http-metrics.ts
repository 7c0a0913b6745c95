/**
 * Times every request and reports it by route template (`/api/v1/orders/:id`, never the raw path,
 * so ids do not explode the label set), method and final status.
 */
import type { Middleware } from "koa";
import type { MetricsPort } from "../../services/metrics-port";

export function httpMetrics(m: MetricsPort): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? "unmatched";
      m.httpRequest(String(route), ctx.method, ctx.status, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
}
