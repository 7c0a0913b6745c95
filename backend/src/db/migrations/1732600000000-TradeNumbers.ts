import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Every WeChat order number (out_trade_no) an order has used. WeChat binds an out_trade_no to one
 * trade type, so a shopper who switches between QR and in-app pay needs a new number per switch;
 * the order's own `out_trade_no` stays its first. Notifies, queries and closes find the order
 * through any of its numbers.
 */
export class TradeNumbers1732600000000 implements MigrationInterface {
  name = "TradeNumbers1732600000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE trade_numbers (
      merchant_id text NOT NULL REFERENCES merchants(id) ON UPDATE CASCADE,
      out_trade_no text NOT NULL,
      order_id uuid NOT NULL REFERENCES orders(id),
      method text NOT NULL CHECK (method IN ('jsapi','native')),
      -- the mini-program the prepay was made for: WeChat's answers about it carry this appid
      appid text,
      created_at timestamptz NOT NULL DEFAULT now(),
      closing_at timestamptz,
      closed_at timestamptz,
      PRIMARY KEY (merchant_id, out_trade_no))`);
    await q.query(`CREATE INDEX trade_numbers_order_idx ON trade_numbers (order_id)`);
    // One open number per (order, method): concurrent taps converge on it.
    await q.query(
      `CREATE UNIQUE INDEX trade_numbers_open_uq ON trade_numbers (order_id, method) WHERE closed_at IS NULL`,
    );
    // Orders that already went to WeChat used their own number, with the method of their first attempt.
    await q.query(`INSERT INTO trade_numbers (merchant_id, out_trade_no, order_id, method, appid, created_at)
      SELECT DISTINCT ON (o.id) o.merchant_id, o.out_trade_no, o.id, a.method, m.appid, a.created_at
      FROM orders o JOIN payment_attempts a ON a.order_id = o.id JOIN merchants m ON m.id = o.merchant_id
      ORDER BY o.id, a.created_at`);
    await q.query(`ALTER TABLE payment_attempts ADD COLUMN out_trade_no text`);
    await q.query(
      `UPDATE payment_attempts a SET out_trade_no = o.out_trade_no FROM orders o WHERE o.id = a.order_id`,
    );
    await q.query(`ALTER TABLE payment_attempts ALTER COLUMN out_trade_no SET NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment_attempts DROP COLUMN out_trade_no`);
    await q.query(`DROP TABLE trade_numbers`);
  }
}
