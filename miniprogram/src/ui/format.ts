/**
 * The one place times and amounts are formatted for the shopper. Times are shown in China time
 * (Asia/Shanghai, UTC+8 all year, no DST), computed by hand because Intl time zones are not
 * reliable in every WeChat runtime.
 */
import { formatCny } from "@minipay/shared";

export const yuan = formatCny;

const SHANGHAI_OFFSET_MS = 8 * 3600_000;
const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

/** "2026-11-24 18:05" (or with seconds); "" for a missing or unreadable time. */
export function formatTime(iso: string | null | undefined, opts: { seconds?: boolean } = {}): string {
  if (!iso) return "";
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return "";
  const d = new Date(ms + SHANGHAI_OFFSET_MS);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${opts.seconds ? `:${pad(d.getUTCSeconds())}` : ""}`;
  return `${date} ${time}`;
}

/** Time left as "mm:ss" (or "h:mm:ss"); "00:00" once past. */
export function formatCountdown(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}
