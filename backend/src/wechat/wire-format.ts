/** The exact strings WeChat expects on the wire: nonces and its two time formats. */
import crypto from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** 32 chars of [0-9A-Za-z] from crypto.randomBytes (never Math.random). */
export function nonceStr(length = 32): string {
  const bytes = crypto.randomBytes(length);
  let s = "";
  for (const b of bytes) s += ALPHABET[b % 62];
  return s;
}

/** Beijing time (UTC+8) as yyyyMMddHHmmss, the v2 time format. */
export function v2Time(d: Date): string {
  return new Date(d.getTime() + 8 * 3600_000).toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

/** yyyyMMddHHmmss in Beijing time → Date. */
export function parseV2Time(s: string | undefined): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s ?? "");
  if (!m) return null;
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`);
}

/** RFC 3339 with +08:00, the v3 time format. */
export function v3Time(d: Date): string {
  return new Date(d.getTime() + 8 * 3600_000).toISOString().replace(/\.\d{3}Z$/, "+08:00");
}
