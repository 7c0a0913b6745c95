import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The merchant admin API: API keys (stored as SHA-256 hashes, never the secret), an append-only
 * audit log (a trigger refuses UPDATE, DELETE and TRUNCATE, so not even a bug or a hurried operator
 * with SQL access can rewrite history), and who resolved an anomaly and why.
 */
export class Admin1732800000000 implements MigrationInterface {
  name = "Admin1732800000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE api_keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      merchant_id text NOT NULL REFERENCES merchants(id) ON UPDATE CASCADE,
      name text NOT NULL,
      prefix text NOT NULL,
      secret_hash text NOT NULL,
      scopes text[] NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      revoked_at timestamptz,
      CONSTRAINT api_keys_secret_hash_uq UNIQUE (secret_hash))`);
    await q.query(`CREATE INDEX api_keys_merchant_idx ON api_keys (merchant_id, created_at)`);

    // No ON UPDATE CASCADE: a cascade would be an UPDATE, which the trigger refuses (merchant ids
    // never change after ManyMerchants).
    await q.query(`CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      merchant_id text NOT NULL REFERENCES merchants(id),
      at timestamptz NOT NULL DEFAULT now(),
      actor_key_id uuid,
      actor_key_name text NOT NULL,
      action text NOT NULL,
      target_type text NOT NULL,
      target_id text NOT NULL,
      before jsonb,
      after jsonb,
      request_id text)`);
    await q.query(`CREATE INDEX audit_log_merchant_idx ON audit_log (merchant_id, id DESC)`);
    await q.query(`CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`);
    await q.query(`CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`);

    await q.query(
      `ALTER TABLE anomalies ADD COLUMN resolution_note text, ADD COLUMN resolved_by_key_id uuid`,
    );
    await q.query(`CREATE INDEX anomalies_merchant_idx ON anomalies (merchant_id, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS anomalies_merchant_idx`);
    await q.query(`ALTER TABLE anomalies DROP COLUMN resolution_note, DROP COLUMN resolved_by_key_id`);
    await q.query(`DROP TABLE audit_log`);
    await q.query(`DROP FUNCTION audit_log_append_only()`);
    await q.query(`DROP TABLE api_keys`);
  }
}
