/** Failures of the WeChat adapters, typed so services can map them to our own error codes. */

export type UpstreamFailure =
  | "timeout" // no answer in time: the outcome is unknown
  | "network" // could not connect
  | "http" // non-2xx without a usable WeChat error body
  | "business" // WeChat answered with an error code (code/message set)
  | "forged"; // a 2xx whose signature did not verify: never trust it

export class WechatUpstreamError extends Error {
  constructor(
    readonly failure: UpstreamFailure,
    readonly step: string,
    readonly wechatCode: string | null = null,
    readonly httpStatus: number | null = null,
    message?: string,
  ) {
    super(message ?? `${step}: ${failure}${wechatCode ? ` ${wechatCode}` : ""}`);
    this.name = "WechatUpstreamError";
  }
}

export type NotifyRejectReason =
  | "malformed" // not parseable / fields missing
  | "probe" // WECHATPAY/SIGNTEST/ signature probe
  | "unknown_serial"
  | "timestamp_skew"
  | "bad_signature"
  | "decrypt_failed"
  | "wrong_merchant"; // appid/mchid are not this merchant's

export class NotifyRejectedError extends Error {
  constructor(
    readonly reason: NotifyRejectReason,
    message?: string,
  ) {
    super(message ?? `notify rejected: ${reason}`);
    this.name = "NotifyRejectedError";
  }
}

/** code2Session errcodes we map (spec §1.1). */
export class WechatLoginError extends Error {
  constructor(
    readonly errcode: number,
    message?: string,
  ) {
    super(message ?? `code2Session errcode ${errcode}`);
    this.name = "WechatLoginError";
  }
}
