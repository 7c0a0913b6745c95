/**
 * GET /metrics in Prometheus text. With a token configured (METRICS_TOKEN), only
 * `Authorization: Bearer <token>` gets in; the comparison takes the same time for any wrong token.
 */
import crypto from "node:crypto";
import Router from "@koa/router";
import { sendError } from "../middleware/errors";

export interface MetricsEndpoint {
  text(): Promise<string>;
  contentType: string;
  /** null: open (e.g. reachable only from the scraper's network). */
  token: string | null;
}

function sameToken(given: string, want: string): boolean {
  const a = crypto.createHash("sha256").update(given).digest();
  const b = crypto.createHash("sha256").update(want).digest();
  return crypto.timingSafeEqual(a, b);
}

export function metricsRouter(e: MetricsEndpoint): Router {
  const r = new Router();
  r.get("/metrics", async (ctx) => {
    if (e.token !== null) {
      const m = /^Bearer (.+)$/.exec(ctx.get("authorization"));
      if (!m || !sameToken(m[1]!, e.token)) {
        ctx.set("WWW-Authenticate", 'Bearer realm="metrics"');
        return sendError(ctx, "UNAUTHENTICATED");
      }
    }
    ctx.set("Cache-Control", "no-store");
    ctx.type = e.contentType;
    ctx.body = await e.text();
  });
  return r;
}
