/**
 * Whether an error means "the database cannot be reached right now" (refused, reset, restarting,
 * pool timed out, its Unix socket missing) rather than a bug: such errors become 503 with Retry-After, never a 500.
 * SQLSTATE class 08 is connection exceptions; 57P01-57P03 are shutdown and "cannot connect now".
 */
const CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "57P01",
  "57P02",
  "57P03",
]);
const MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /the database system is (starting up|shutting down)/i,
  /connect ECONNREFUSED/i,
];

export function isDatabaseUnavailable(err: unknown): boolean {
  for (
    let e = err as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown } | undefined,
      depth = 0;
    e && depth < 4;
    depth++
  ) {
    const code = typeof e.code === "string" ? e.code : "";
    if (CODES.has(code) || code.startsWith("08")) return true;
    // The server's Unix socket is gone while it is stopped (a missing file elsewhere is a real error).
    if (code === "ENOENT" && (e as { syscall?: unknown }).syscall === "connect") return true;
    if (typeof e.message === "string" && MESSAGES.some((m) => m.test(e!.message as string))) return true;
    e = (e.driverError ?? e.cause) as typeof e;
  }
  return false;
}
