/**
 * Deleting what only grows: exchanged login codes, dead sessions and old notify_log rows. Each call
 * deletes one bounded batch of rows it could lock (SKIP LOCKED), so several processes pruning at
 * once split the work instead of waiting on each other, and no statement runs long.
 */
import { deletedCount, type Manager } from "./rows";

export class RetentionRepo {
  constructor(private readonly m: Manager) {}

  /**
   * Delete up to `batch` rows of `table` matching `where` ($1.. are `params`), skipping rows another
   * process holds, so every instance can prune at once. Table and condition are constants here.
   */
  private async pruneBatch(table: string, where: string, params: unknown[], batch: number): Promise<number> {
    return deletedCount(
      await this.m.query(
        `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM ${table} WHERE ${where} LIMIT $${params.length + 1} FOR UPDATE SKIP LOCKED))
         RETURNING 1`,
        [...params, batch],
      ),
    );
  }

  /** Login codes exchanged before `before` (WeChat's codes live 5 minutes; a replay after that fails there). */
  pruneLoginCodes(before: Date, batch: number): Promise<number> {
    return this.pruneBatch("login_codes", "used_at < $1", [before], batch);
  }

  /** Sessions that ended (absolute expiry, revocation or idleness) before `before`. */
  pruneSessions(before: Date, idleBefore: Date, batch: number): Promise<number> {
    return this.pruneBatch(
      "sessions",
      "expires_at < $1 OR revoked_at < $1 OR last_seen_at < $2",
      [before, idleBefore],
      batch,
    );
  }

  pruneNotifyLog(before: Date, batch: number): Promise<number> {
    return this.pruneBatch("notify_log", "created_at < $1", [before], batch);
  }
}
