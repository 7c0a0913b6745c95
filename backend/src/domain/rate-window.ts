/** Window arithmetic for the shared rate limiter. */

/**
 * Whole seconds until a window that started at `startMs` ends: a refused request's Retry-After,
 * between 1 and the window's length (another process's clock may be a little ahead of ours).
 */
export function retryAfterSeconds(startMs: number, windowMs: number, nowMs: number): number {
  if (!(windowMs > 0)) throw new RangeError("windowMs must be positive");
  const seconds = Math.ceil((startMs + windowMs - nowMs) / 1000);
  return Math.min(Math.ceil(windowMs / 1000), Math.max(1, seconds));
}
