/** Money is an integer number of fen (CNY cents) everywhere; yuan appear only in display strings. */
export type Fen = number;

/** Largest single order we accept, in fen (¥100,000). WeChat sets no public constant; this is our limit. */
export const MAX_ORDER_TOTAL_FEN = 10_000_000;

export function isFen(n: unknown): n is Fen {
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
}

/** 12345 → "123.45". Integer arithmetic only, so no float rounding can creep in. */
export function formatYuan(fen: Fen): string {
  if (!Number.isSafeInteger(fen)) throw new RangeError(`not an integer number of fen: ${fen}`);
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  const yuan = Math.floor(abs / 100);
  const cents = String(abs % 100).padStart(2, "0");
  return `${sign}${yuan}.${cents}`;
}

/** "¥123.45" */
export function formatCny(fen: Fen): string {
  return `¥${formatYuan(fen)}`;
}

export function sumFen(values: readonly Fen[]): Fen {
  let total = 0;
  for (const v of values) {
    if (!Number.isSafeInteger(v)) throw new RangeError(`not an integer number of fen: ${v}`);
    total += v;
  }
  if (!Number.isSafeInteger(total)) throw new RangeError("total overflows");
  return total;
}
