/**
 * out_trade_no: 6–32 chars of [0-9A-Za-z_-|*] (docs/wechatpay-spec.md §4). Ours: "MP" + UTC yyyyMMdd + 16 random
 * base62 chars = 26 chars, unguessable so order numbers cannot be enumerated.
 */
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export const OUT_TRADE_NO_RE = /^[0-9A-Za-z_\-|*]{6,32}$/;

export function newOutTradeNo(now: Date, randomBytes: (n: number) => Buffer): string {
  const d = now.toISOString().slice(0, 10).replace(/-/g, "");
  const bytes = randomBytes(16);
  let tail = "";
  // 248 = 4 × 62: rejection-free enough for ids (tiny bias accepted for ids, not for keys).
  for (const b of bytes) tail += ALPHABET[b % 62];
  return `MP${d}${tail}`;
}
