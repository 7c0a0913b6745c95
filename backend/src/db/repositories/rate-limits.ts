/**
 * Fixed-window counters shared by every backend process. One row per (bucket, key, window start);
 * a hit is one atomic upsert, so two processes bumping the same window never lose a count. Keys
 * arrive already hashed: no openid or client address is stored.
 */
import { deletedCount, type Manager } from "./rows";

export class RateLimitsRepo {
  constructor(private readonly m: Manager) {}

  /** Count one hit in the window and return the window's count including it. */
  async hit(bucket: string, key: string, windowStart: Date): Promise<number> {
    const rows: { count: number }[] = await this.m.query(
      `INSERT INTO rate_limit_counters (bucket, key, window_start, count) VALUES ($1, $2, $3, 1)
       ON CONFLICT (bucket, key, window_start) DO UPDATE SET count = rate_limit_counters.count + 1
       RETURNING count`,
      [bucket, key, windowStart],
    );
    return Number(rows[0]!.count);
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
