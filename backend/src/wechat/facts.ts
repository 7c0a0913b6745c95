/**
 * Checks on what an authenticated WeChat message states (notifies and signed query answers). A
 * genuine sender with odd facts is not a forger: these throw NotifyFactsInvalidError so the caller
 * can record an anomaly and acknowledge, instead of answering 5xx to a notify WeChat would then
 * repeat for a day.
 */
import { NotifyFactsInvalidError } from "./errors";
import { parseRfc3339, parseV2DateTime, parseV2Time } from "./wire-format";

/** Merchant order numbers: 6–32 of digits, letters and _-|* (WeChat's rule for out_trade_no). */
const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;
/** Refund numbers add @ and may be up to 64 long. */
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
const WECHAT_ID = /^\d{1,32}$/;
const REFUND_ID = /^[0-9A-Za-z]{1,32}$/;
const OPENID = /^[0-9A-Za-z_-]{1,128}$/;
const CURRENCY = /^[A-Z]{3}$/;
// C0 controls, DEL and C1 controls: no WeChat field carries them.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const fail = (reason: NotifyFactsInvalidError["reason"], field: string): never => {
  throw new NotifyFactsInvalidError(reason, field);
};

/** Walk a decoded message and refuse any string (or key) holding a control character. */
export function assertNoControlChars(value: unknown, path = ""): void {
  if (typeof value === "string") {
    if (CONTROL.test(value)) fail("control_character", path || "(body)");
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => assertNoControlChars(v, `${path}[${i}]`));
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const p = path ? `${path}.${k}` : k;
      if (CONTROL.test(k)) fail("control_character", p);
      assertNoControlChars(v, p);
    }
  }
}

function text(v: unknown, field: string, required: boolean): string | null {
  if (v === undefined || v === null || v === "") return required ? fail("missing", field) : null;
  if (typeof v !== "string") return fail("format", field);
  if (CONTROL.test(v)) fail("control_character", field);
  return v;
}

function matching(re: RegExp, v: unknown, field: string, required: boolean): string | null {
  const s = text(v, field, required);
  if (s !== null && !re.test(s)) fail("format", field);
  return s;
}

export const outTradeNo = (v: unknown, field = "out_trade_no"): string =>
  matching(OUT_TRADE_NO, v, field, true)!;
export const outRefundNo = (v: unknown, field = "out_refund_no"): string =>
  matching(OUT_REFUND_NO, v, field, true)!;
export const transactionId = (v: unknown, field = "transaction_id"): string | null =>
  matching(WECHAT_ID, v, field, false);
export const refundId = (v: unknown, field = "refund_id"): string | null =>
  matching(REFUND_ID, v, field, false);
export const openid = (v: unknown, field = "openid"): string | null => matching(OPENID, v, field, false);
export const currency = (v: unknown, field = "currency"): string | null =>
  matching(CURRENCY, v, field, false);
export const optionalText = (v: unknown, field: string): string | null => text(v, field, false);

/** An amount in fen: a safe non-negative integer (v2 sends digits, v3 numbers). */
export function amount(v: unknown, field: string, required: true): number;
export function amount(v: unknown, field: string, required: false): number | null;
export function amount(v: unknown, field: string, required: boolean): number | null {
  if (v === undefined || v === null || v === "") return required ? fail("missing", field) : null;
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d{1,16}$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) return fail("amount", field);
  return n;
}

function time(parse: (s: string) => Date | null, v: unknown, field: string): Date | null {
  const s = text(v, field, false);
  if (s === null) return null;
  return parse(s) ?? fail("not_a_date", field);
}

/** v3: RFC 3339. */
export const rfc3339Time = (v: unknown, field: string) => time(parseRfc3339, v, field);
/** v2: yyyyMMddHHmmss in UTC+8. */
export const v2CompactTime = (v: unknown, field: string) => time(parseV2Time, v, field);
/** v2 refunds: yyyy-MM-dd HH:mm:ss in UTC+8. */
export const v2DateTime = (v: unknown, field: string) => time(parseV2DateTime, v, field);

/** One value of a closed set of WeChat codes. */
export function oneOf<T extends string>(allowed: readonly T[], v: unknown, field: string): T {
  const s = text(v, field, true)!;
  return (allowed as readonly string[]).includes(s) ? (s as T) : fail("unknown_value", field);
}
