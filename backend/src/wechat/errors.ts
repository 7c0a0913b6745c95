/** Failures of the WeChat adapters, typed so services can map them to our own error codes. */

export type UpstreamFailure =
  | "timeout" // no answer in time: the outcome is unknown
  | "network" // could not connect
  | "http" // non-2xx without a usable WeChat error body
  | "business" // WeChat answered with an error code (code/message set)
  | "forged"; // a 2xx whose signature did not verify: never trust it

/** Why a request never got an answer; stable strings for logs and metrics. */
export type TransportFailure =
  "timeout" | "connection_refused" | "connection_reset" | "dns" | "tls" | "other";

export class WechatUpstreamError extends Error {
  /** Set for "timeout" and "network" failures: what went wrong below HTTP. */
  readonly detail: TransportFailure | null;

  constructor(
    readonly failure: UpstreamFailure,
    readonly step: string,
    readonly wechatCode: string | null = null,
    readonly httpStatus: number | null = null,
    message?: string,
    extra: { detail?: TransportFailure; cause?: unknown } = {},
  ) {
    super(message ?? `${step}: ${failure}${wechatCode ? ` ${wechatCode}` : ""}`, { cause: extra.cause });
    this.name = "WechatUpstreamError";
    this.detail = extra.detail ?? null;
  }
}

export type SignatureRejectReason =
  "malformed" | "probe" | "unknown_serial" | "timestamp_skew" | "bad_signature";

/**
 * A 2xx answer whose signature did not verify. It is a forged upstream answer (failure "forged"),
 * never to be trusted; `reason` says which check failed.
 */
export class SignatureRejectedError extends WechatUpstreamError {
  constructor(
    readonly reason: SignatureRejectReason,
    step: string,
    httpStatus: number | null,
    message?: string,
  ) {
    super("forged", step, reason, httpStatus, message ?? `${step}: response signature rejected (${reason})`);
    this.name = "SignatureRejectedError";
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

export type FactsInvalidReason =
  | "missing" // a required field is absent
  | "format" // wrong type, length or alphabet
  | "control_character" // NUL or another control character in a string
  | "not_a_date" // a time that does not parse to a real calendar date
  | "amount" // not a safe non-negative integer
  | "unknown_value"; // an enum value we do not know

/**
 * An authenticated message (notify or signed query answer) whose facts make no sense. Distinct from
 * NotifyRejectedError: the sender is genuine, so retrying will not help; the caller records an
 * anomaly and acknowledges instead of failing forever.
 */
export class NotifyFactsInvalidError extends Error {
  constructor(
    readonly reason: FactsInvalidReason,
    readonly field: string,
    message?: string,
  ) {
    super(message ?? `invalid ${field}: ${reason}`);
    this.name = "NotifyFactsInvalidError";
  }
}

/** A code2Session errcode (invalid or used code, rate limit, ...). */
export class WechatLoginError extends Error {
  constructor(
    readonly errcode: number,
    message?: string,
  ) {
    super(message ?? `code2Session errcode ${errcode}`);
    this.name = "WechatLoginError";
  }
}

/**
 * A v2 /secapi call (refund) for a merchant configured without its API client certificate: refused
 * before anything is sent, because WeChat would only drop the TLS handshake.
 */
export class ClientCertificateMissingError extends Error {
  constructor(readonly step: string) {
    super(`${step}: the merchant has no API client certificate`);
    this.name = "ClientCertificateMissingError";
  }
}
