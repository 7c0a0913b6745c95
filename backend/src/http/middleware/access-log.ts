import type { Middleware } from "koa";
import type { Logger } from "../../logger";

/**
 * One line per request: method, path (no query string: it may carry codes), status, ms, request id
 * and, when known, the user's openid hint or the admin key's visible prefix. Headers and bodies are
 * never logged.
 */
/** A checkout token in the path is a capability (anyone holding it can watch the order): logged cut short. */
const maskPath = (p: string) => p.replace(/^\/pay\/([^/]{4})[^/]*/, "/pay/$1…");

export function accessLog(logger: Logger): Middleware {
  return async (ctx, next) => {
    const start = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const status = ctx.status;
      const line = {
        reqId: ctx.state.requestId,
        method: ctx.method,
        path: maskPath(ctx.path),
        status,
        ms: Math.round(ms * 10) / 10,
        user: ctx.state.user?.openidHint,
        key: ctx.state.apiKey?.prefix,
        code: ctx.state.errorCode,
      };
      if (status >= 500) logger.error(line, "request");
      else logger.info(line, "request");
    }
  };
}
