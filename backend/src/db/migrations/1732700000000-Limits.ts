import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Abuse limits shared by every backend process: a fixed-window counter table (one row per bucket
 * and hashed key: the current window's start and count, bumped or restarted by one atomic upsert),
 * and the indexes the retention job and the open-order caps read through.
 */
export class Limits1732700000000 implements MigrationInterface {
  name = "Limits1732700000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE rate_limit_counters (
      bucket text NOT NULL,
      key text NOT NULL,
      window_start timestamptz NOT NULL,
      count integer NOT NULL,
      PRIMARY KEY (bucket, key))`);
    await q.query(`CREATE INDEX rate_limit_counters_window_idx ON rate_limit_counters (window_start)`);
    await q.query(`CREATE INDEX login_codes_used_at_idx ON login_codes (used_at)`);
    await q.query(`CREATE INDEX sessions_expires_at_idx ON sessions (expires_at)`);
    await q.query(`CREATE INDEX notify_log_created_at_idx ON notify_log (created_at)`);
    await q.query(`CREATE INDEX orders_user_open_idx ON orders (user_id, expires_at)
      WHERE state IN ('created','paying')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS orders_user_open_idx`);
    await q.query(`DROP INDEX IF EXISTS notify_log_created_at_idx`);
    await q.query(`DROP INDEX IF EXISTS sessions_expires_at_idx`);
    await q.query(`DROP INDEX IF EXISTS login_codes_used_at_idx`);
    await q.query(`DROP TABLE IF EXISTS rate_limit_counters`);
  }
}
