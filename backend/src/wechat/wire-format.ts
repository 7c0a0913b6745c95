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

const BEIJING_OFFSET_MIN = 8 * 60;

/** A wall-clock time at a UTC offset, or null unless every part is a real calendar value. */
export function civilTime(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  offsetMin: number,
): Date | null {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59 || y < 1970) return null;
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Date.UTC rolls 31 February over into March: a real date survives the round trip unchanged.
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return null;
  return new Date(t.getTime() - offsetMin * 60_000);
}

/** yyyyMMddHHmmss in Beijing time → Date; null unless it is a real date and time. */
export function parseV2Time(s: string | undefined): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s ?? "");
  if (!m) return null;
  const [y, mo, d, h, mi, sec] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return civilTime(y, mo, d, h, mi, sec, BEIJING_OFFSET_MIN);
}

/** `yyyy-MM-dd HH:mm:ss` in Beijing time (v2 refund times) → Date; null unless real. */
export function parseV2DateTime(s: string | undefined): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s ?? "");
  if (!m) return null;
  const [y, mo, d, h, mi, sec] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return civilTime(y, mo, d, h, mi, sec, BEIJING_OFFSET_MIN);
}

/** RFC 3339 (the v3 time format) → Date; null unless it is a real date, time and offset. */
export function parseRfc3339(s: string | undefined): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|([+-])(\d{2}):(\d{2}))$/.exec(
    s ?? "",
  );
  if (!m) return null;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  let offset = 0;
  if (m[8] !== "Z") {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    offset = (m[9] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const t = civilTime(y, mo, d, h, mi, sec, offset);
  return t && m[7] ? new Date(t.getTime() + Math.floor(Number(m[7]) * 1000)) : t;
}

/** RFC 3339 with +08:00, the v3 time format. */
export function v3Time(d: Date): string {
  return new Date(d.getTime() + 8 * 3600_000).toISOString().replace(/\.\d{3}Z$/, "+08:00");
}
