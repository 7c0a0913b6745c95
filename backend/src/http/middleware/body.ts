import type { Context, Middleware } from "koa";
import getRawBody from "raw-body";
import { AppError } from "../../domain/errors";

async function readRaw(ctx: Context, limit: number): Promise<Buffer> {
  try {
    return await getRawBody(ctx.req, { limit, length: ctx.get("content-length") || undefined });
  } catch (err: any) {
    if (err?.type === "entity.too.large" || err?.status === 413) throw new AppError("BODY_TOO_LARGE");
    if (err?.type === "request.aborted") throw new AppError("VALIDATION_FAILED", "request aborted");
    throw new AppError("VALIDATION_FAILED", "could not read the request body");
  }
}

/**
 * JSON bodies for the API: size-capped before parsing, JSON only, prototype keys refused.
 * The parsed value is in ctx.state.body (undefined when there was no body).
 */
export function jsonBody(limit: number): Middleware {
  return async (ctx, next) => {
    if (!["POST", "PUT", "PATCH"].includes(ctx.method)) return next();
    const raw = await readRaw(ctx, limit);
    if (raw.length === 0) {
      ctx.state.body = undefined;
      return next();
    }
    if (!ctx.is("application/json", "+json")) throw new AppError("UNSUPPORTED_MEDIA_TYPE");
    try {
      ctx.state.body = JSON.parse(raw.toString("utf8"), (k, v) =>
        k === "__proto__" || k === "constructor" || k === "prototype" ? undefined : v,
      );
    } catch {
      throw new AppError("MALFORMED_JSON");
    }
    return next();
  };
}

/** Raw bytes for WeChat notifies: signatures are computed over exactly what was sent. */
export function rawBody(limit: number): Middleware {
  return async (ctx, next) => {
    ctx.state.rawBody = await readRaw(ctx, limit);
    return next();
  };
}
