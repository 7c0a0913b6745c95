import type { Context, Middleware } from "koa";
import { ERRORS, type ErrorCode } from "@minipay/shared";
import { AppError } from "../../domain/errors";
import type { Logger } from "../../logger";

function lang(ctx: Context): "zh" | "en" {
  return /^zh/i.test(ctx.get("accept-language")) ? "zh" : "en";
}

export function sendError(ctx: Context, code: ErrorCode, details?: unknown, message?: string): void {
  ctx.status = ERRORS[code].status;
  ctx.state.errorCode = code;
  ctx.body = {
    error: {
      code,
      message: message ?? ERRORS[code][lang(ctx)],
      requestId: ctx.state.requestId,
      ...(details === undefined ? {} : { details }),
    },
  };
}

/**
 * Turns every failure into `{error:{code,message,requestId}}`. Typed errors keep their status;
 * body-parser style errors (status/expose) map to stable codes; anything else is a 500 whose
 * details go to the log only, never to the client.
 */
export function errorHandler(
  logger: Logger,
  isUnavailable: (err: unknown) => boolean = () => false,
): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err: any) {
      if (err instanceof AppError) {
        for (const [k, v] of Object.entries(err.headers ?? {})) ctx.set(k, v);
        sendError(ctx, err.code, err.details);
        return;
      }
      if (isUnavailable(err)) {
        logger.warn({ reqId: ctx.state.requestId, err: err?.message }, "database unavailable");
        ctx.set("Retry-After", "5");
        return sendError(ctx, "SERVICE_UNAVAILABLE");
      }
      const status = typeof err?.status === "number" ? err.status : 500;
      if (status === 413 || err?.type === "entity.too.large") return sendError(ctx, "BODY_TOO_LARGE");
      if (status === 415) return sendError(ctx, "UNSUPPORTED_MEDIA_TYPE");
      if (status === 405) return sendError(ctx, "METHOD_NOT_ALLOWED");
      if (status === 404) return sendError(ctx, "NOT_FOUND");
      if (status >= 400 && status < 500) return sendError(ctx, "VALIDATION_FAILED");
      logger.error(
        { reqId: ctx.state.requestId, err: { name: err?.name, message: err?.message, stack: err?.stack } },
        "unhandled error",
      );
      sendError(ctx, "INTERNAL");
    }
  };
}
