/**
 * Deleting what only grows: exchanged login codes, dead sessions and old notify_log rows. Each call
 * deletes one bounded batch of rows it could lock (SKIP LOCKED), so several processes pruning at
 * once split the work instead of waiting on each other, and no statement runs long.
 */
import { deletedCount, type Manager } from "./rows";

export class RetentionRepo {
  constructor(private readonly m: Manager) {}

  /** Login codes exchanged before `before` (WeChat's codes live 5 minutes; a replay after that fails there). */
  async pruneLoginCodes(before: Date, batch: number): Promise<number> {
    return deletedCount(
      await this.m.query(
        `DELETE FROM login_codes WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM login_codes WHERE used_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED))
         RETURNING 1`,
        [before, batch],
      ),
    );
  }

  /** Sessions that ended (absolute expiry, revocation or idleness) before `before`. */
  async pruneSessions(before: Date, idleBefore: Date, batch: number): Promise<number> {
    return deletedCount(
      await this.m.query(
        `DELETE FROM sessions WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM sessions WHERE expires_at < $1 OR revoked_at < $1 OR last_seen_at < $2
           LIMIT $3 FOR UPDATE SKIP LOCKED))
         RETURNING 1`,
        [before, idleBefore, batch],
      ),
    );
  }

  async pruneNotifyLog(before: Date, batch: number): Promise<number> {
    return deletedCount(
      await this.m.query(
        `DELETE FROM notify_log WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM notify_log WHERE created_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED))
         RETURNING 1`,
        [before, batch],
      ),
    );
  }
}
