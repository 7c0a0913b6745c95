import crypto from "node:crypto";
import type { Middleware } from "koa";

const SAFE = /^[A-Za-z0-9._-]{8,64}$/;

/** Reuse a caller's X-Request-Id when it is harmless, else mint one; echo it on the response. */
export function requestId(): Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get("x-request-id");
    const id = SAFE.test(incoming) ? incoming : crypto.randomUUID();
    ctx.state.requestId = id;
    ctx.set("X-Request-Id", id);
    await next();
  };
}
