import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Refunds: one row per refund intent. Its out_refund_no is made once, with the row, and every
 * retry at WeChat reuses it (WeChat refunds one out_refund_no once: docs/wechatpay-spec.md §2.6). The
 * Idempotency-Key of the admin request is unique per merchant, so a retried request finds its row.
 */
export class Refunds1733000000000 implements MigrationInterface {
  name = "Refunds1733000000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE refunds (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      merchant_id text NOT NULL REFERENCES merchants(id),
      order_id uuid NOT NULL REFERENCES orders(id),
      out_trade_no text NOT NULL,
      out_refund_no text NOT NULL,
      refund_id text,
      amount_fen bigint NOT NULL CHECK (amount_fen > 0),
      reason text,
      state text NOT NULL CHECK (state IN ('pending','processing','succeeded','failed','closed')),
      idempotency_key text NOT NULL,
      request_hash text NOT NULL,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      succeeded_at timestamptz,
      CONSTRAINT refunds_out_refund_no_key UNIQUE (merchant_id, out_refund_no),
      CONSTRAINT refunds_idempotency_key UNIQUE (merchant_id, idempotency_key))`);
    await q.query(`CREATE INDEX refunds_order_idx ON refunds (order_id, created_at)`);
    await q.query(
      `CREATE INDEX refunds_merchant_created_idx ON refunds (merchant_id, created_at DESC, id DESC)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS refunds`);
  }
}
