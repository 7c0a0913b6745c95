/**
 * Display formatting for the console. Money arrives as integer fen and is shown as yuan with
 * thousands separators; times are shown in Asia/Shanghai (UTC+8 all year, no daylight saving), the
 * merchant's business day (the daily report counts days there too, shared/src/admin.ts), whatever
 * zone the browser is in.
 */
import { formatYuan } from "@minipay/shared";

const SHANGHAI_OFFSET_MS = 8 * 3600_000;

/** 1234567 → "¥12,345.67"; −500 → "-¥5.00". */
export function yuan(fen: number): string {
  const plain = formatYuan(Math.abs(fen));
  const [whole, cents] = plain.split(".") as [string, string];
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${fen < 0 ? "-" : ""}¥${grouped}.${cents}`;
}

/**
 * What a person typed as yuan ("12", "12.3", "¥1,234.50") → fen, or null when it is not an amount
 * with at most two decimals. String arithmetic only: 0.1 + 0.2 never enters.
 */
export function parseYuan(input: string): number | null {
  const s = input.trim().replace(/^¥/, "").replace(/,/g, "");
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
}

const pad = (n: number) => String(n).padStart(2, "0");

/** An ISO instant → "2026-11-24 18:00:05" in Shanghai time; "" for nothing or garbage. */
export function shanghaiTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const d = new Date(t + SHANGHAI_OFFSET_MS);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** The Shanghai calendar day of an instant, "YYYY-MM-DD". */
export function shanghaiDate(at: Date): string {
  const d = new Date(at.getTime() + SHANGHAI_OFFSET_MS);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** The `days` Shanghai days ending today (inclusive), for GET /reports/daily. */
export function lastDays(now: Date, days: number): { from: string; to: string } {
  return { from: shanghaiDate(new Date(now.getTime() - (days - 1) * 86_400_000)), to: shanghaiDate(now) };
}

/** Midnight that starts a Shanghai day, as an ISO instant with its offset (for order filters). */
export function shanghaiDayStart(date: string): string {
  return `${date}T00:00:00+08:00`;
}

/** Midnight after a Shanghai day (the API's `…To` bounds are exclusive, so a day picked as "to"
 * means up to the next midnight). */
export function shanghaiDayEnd(date: string): string {
  const next = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000);
  return `${next.toISOString().slice(0, 10)}T00:00:00+08:00`;
}

/** paid ÷ created as a percentage with one decimal ("—" when nothing was created). */
export function percent(part: number, whole: number): string {
  if (whole <= 0) return "—";
  return `${((part * 100) / whole).toFixed(1)}%`;
}
