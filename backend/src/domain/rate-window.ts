/** Fixed-window arithmetic for the shared rate limiter: which window a moment falls in, and how long until it ends. */

export interface Window {
  /** The window's start, in epoch milliseconds (a multiple of the window length). */
  startMs: number;
  /** Whole seconds until the next window opens (at least 1): the Retry-After of a refused request. */
  retryAfterSeconds: number;
}

export function windowOf(nowMs: number, windowMs: number): Window {
  if (!(windowMs > 0)) throw new RangeError("windowMs must be positive");
  const startMs = Math.floor(nowMs / windowMs) * windowMs;
  return { startMs, retryAfterSeconds: Math.max(1, Math.ceil((startMs + windowMs - nowMs) / 1000)) };
}
