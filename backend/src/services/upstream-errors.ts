/** One table from WeChat adapter failures to the errors a client sees (payments and login). */
import { AppError } from "../domain/errors";
import { NotifyFactsInvalidError, WechatLoginError, WechatUpstreamError } from "../wechat/errors";

export function mapUpstream(err: unknown): never {
  if (err instanceof WechatUpstreamError) {
    if (err.failure === "timeout" || err.failure === "network")
      throw new AppError("UPSTREAM_UNAVAILABLE", undefined, undefined, { "Retry-After": "2" });
    if (err.wechatCode === "ORDERPAID" || err.wechatCode === "ORDER_PAID")
      throw new AppError("ORDER_ALREADY_PAID");
    if (err.wechatCode === "ORDERCLOSED" || err.wechatCode === "ORDER_CLOSED")
      throw new AppError("ORDER_NOT_PAYABLE");
    throw new AppError("UPSTREAM_ERROR");
  }
  // A signed answer stating impossible facts: WeChat's side is wrong, not the client's request.
  if (err instanceof NotifyFactsInvalidError) throw new AppError("UPSTREAM_ERROR");
  throw err;
}

/** code2Session errcodes (WeChat's jscode2session page); `retryable` means the code was not consumed. */
export function mapLoginError(err: unknown): { error: AppError; retryable: boolean } {
  if (err instanceof WechatLoginError) {
    switch (err.errcode) {
      case 40029:
        return { error: new AppError("LOGIN_CODE_INVALID"), retryable: false };
      case 40163:
        return { error: new AppError("LOGIN_CODE_USED"), retryable: false };
      case 40226:
        return { error: new AppError("LOGIN_BLOCKED"), retryable: false };
      case 45011:
      case -1:
        return {
          error: new AppError("WECHAT_BUSY", undefined, undefined, {
            "Retry-After": err.errcode === 45011 ? "60" : "2",
          }),
          retryable: true,
        };
      default:
        return { error: new AppError("UPSTREAM_ERROR"), retryable: false };
    }
  }
  if (err instanceof WechatUpstreamError)
    return {
      error: new AppError("UPSTREAM_UNAVAILABLE", undefined, undefined, { "Retry-After": "2" }),
      retryable: true,
    };
  throw err;
}
