/** The one error type a client can see: a stable code from shared/ plus optional details. */
import { ERRORS, type ErrorCode } from "@minipay/shared";

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: unknown,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers?: Record<string, string>,
  ) {
    super(message ?? ERRORS[code].en);
    this.name = "AppError";
  }

  get status(): number {
    return ERRORS[this.code].status;
  }
}
