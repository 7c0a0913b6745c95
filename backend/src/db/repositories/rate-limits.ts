/**
 * Fixed-window counters shared by every backend process. One row per (bucket, key) holds the
 * current window: a hit is one atomic upsert that either counts into the window or, when it has
 * run out, starts a new one at this hit. Two processes bumping the same key never lose a count.
 * Keys arrive already hashed: no openid or client address is stored.
 */
import { deletedCount, type Manager } from "./rows";

export interface WindowCount {
  windowStart: Date;
  /** Hits in the window, this one included. */
  count: number;
}

export class RateLimitsRepo {
  constructor(private readonly m: Manager) {}

  /** Count one hit at `now` in a window of `windowSeconds` that starts at the first hit. */
  async hit(bucket: string, key: string, now: Date, windowSeconds: number): Promise<WindowCount> {
    const rows: { window_start: Date; count: number }[] = await this.m.query(
      // Committed without waiting for the disk: a count lost with a database crash only lets a
      // few more requests through afterwards, and the wait was most of a hit's cost.
      `INSERT INTO rate_limit_counters AS c (bucket, key, window_start, count)
       SELECT $1, $2, $3, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) lazy
       ON CONFLICT (bucket, key) DO UPDATE SET
         window_start = CASE WHEN c.window_start + make_interval(secs => $4) <= EXCLUDED.window_start
                             THEN EXCLUDED.window_start ELSE c.window_start END,
         count = CASE WHEN c.window_start + make_interval(secs => $4) <= EXCLUDED.window_start
                      THEN 1 ELSE c.count + 1 END
       RETURNING window_start, count`,
      [bucket, key, now, windowSeconds],
    );
    const r = rows[0]!;
    return { windowStart: new Date(r.window_start), count: Number(r.count) };
  }

  /** Delete up to `batch` windows that started before `before`; returns how many went. */
  async pruneBefore(before: Date, batch: number): Promise<number> {
    const rows: unknown = await this.m.query(
      `DELETE FROM rate_limit_counters WHERE ctid = ANY(ARRAY(
         SELECT ctid FROM rate_limit_counters WHERE window_start < $1 LIMIT $2 FOR UPDATE SKIP LOCKED))
       RETURNING 1`,
      [before, batch],
    );
    return deletedCount(rows);
  }
}
