import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Reconciliation with WeChat's daily trade bill: one row per run (a merchant and a Shanghai bill
 * date; re-runnable, each run kept) with its counts per kind, and one row per difference, linked to
 * our order when we have one and to our refund when it is about one. refund_id has no foreign key
 * yet: the refunds table arrives separately, and its migration adds the constraint.
 */
export class Reconciliation1733100000000 implements MigrationInterface {
  name = "Reconciliation1733100000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE reconciliation_runs (
      id bigserial PRIMARY KEY,
      merchant_id text NOT NULL REFERENCES merchants(id) ON UPDATE CASCADE,
      bill_date date NOT NULL,
      status text NOT NULL CHECK (status IN ('completed','failed')),
      trigger text NOT NULL CHECK (trigger IN ('schedule','admin')),
      bill_found boolean NOT NULL DEFAULT false,
      bill_rows integer NOT NULL DEFAULT 0 CHECK (bill_rows >= 0),
      bill_sha1 text,
      matched integer NOT NULL DEFAULT 0 CHECK (matched >= 0),
      missing_here integer NOT NULL DEFAULT 0 CHECK (missing_here >= 0),
      missing_at_wechat integer NOT NULL DEFAULT 0 CHECK (missing_at_wechat >= 0),
      amount_mismatch integer NOT NULL DEFAULT 0 CHECK (amount_mismatch >= 0),
      state_mismatch integer NOT NULL DEFAULT 0 CHECK (state_mismatch >= 0),
      refund_mismatch integer NOT NULL DEFAULT 0 CHECK (refund_mismatch >= 0),
      error text,
      started_at timestamptz NOT NULL,
      finished_at timestamptz NOT NULL)`);
    await q.query(
      `CREATE INDEX reconciliation_runs_merchant_idx ON reconciliation_runs (merchant_id, id DESC)`,
    );
    await q.query(`CREATE TABLE reconciliation_mismatches (
      id bigserial PRIMARY KEY,
      run_id bigint NOT NULL REFERENCES reconciliation_runs(id) ON DELETE CASCADE,
      merchant_id text NOT NULL REFERENCES merchants(id) ON UPDATE CASCADE,
      kind text NOT NULL CHECK (kind IN
        ('missing_here','missing_at_wechat','amount_mismatch','state_mismatch','refund_mismatch')),
      detail text,
      order_id uuid REFERENCES orders(id),
      refund_id uuid,
      out_trade_no text,
      out_refund_no text,
      wechat jsonb,
      ours jsonb)`);
    await q.query(`CREATE INDEX reconciliation_mismatches_run_idx ON reconciliation_mismatches (run_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS reconciliation_mismatches`);
    await q.query(`DROP TABLE IF EXISTS reconciliation_runs`);
  }
}
