import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Payment-centre mode (README, "Payment-centre mode"): a merchant's own server creates orders through
 * /merchant/v1. Such an order has no shopper and no product lines, so `orders.user_id` becomes
 * optional and `orders.source` says where the order came from; a CHECK keeps the two consistent
 * (a shop order always has its shopper, a merchant-API order never has one).
 *
 * What only merchant-API orders have lives beside the order, in `merchant_orders`: the merchant's
 * own order number (unique per merchant, the idempotency anchor), the hash of the body it was
 * created with, the pay method, the payer's openid (jsapi), the merchant's attach/notify/return
 * values, the hash of the hosted-checkout token, and when WeChat was last asked about it (a read
 * asks at most once per few seconds per order).
 */
export class MerchantOrders1733300000000 implements MigrationInterface {
  name = "MerchantOrders1733300000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders ALTER COLUMN user_id DROP NOT NULL`);
    await q.query(`ALTER TABLE orders ADD COLUMN source text NOT NULL DEFAULT 'shop'
      CONSTRAINT orders_source_ck CHECK (source IN ('shop','merchant_api'))`);
    await q.query(`ALTER TABLE orders ADD CONSTRAINT orders_source_user_ck
      CHECK ((source = 'shop') = (user_id IS NOT NULL))`);
    await q.query(`CREATE TABLE merchant_orders (
      order_id uuid PRIMARY KEY REFERENCES orders(id),
      merchant_id text NOT NULL REFERENCES merchants(id),
      merchant_order_no text NOT NULL,
      idempotency_key text NOT NULL,
      request_hash text NOT NULL,
      method text NOT NULL CHECK (method IN ('jsapi','native','h5page')),
      payer_openid text,
      attach text,
      notify_url text,
      return_url text,
      checkout_token_hash text,
      last_query_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT merchant_orders_no_uq UNIQUE (merchant_id, merchant_order_no),
      CONSTRAINT merchant_orders_idempotency_uq UNIQUE (merchant_id, idempotency_key),
      CONSTRAINT merchant_orders_checkout_uq UNIQUE (checkout_token_hash),
      CONSTRAINT merchant_orders_jsapi_payer_ck CHECK (method <> 'jsapi' OR payer_openid IS NOT NULL))`);
  }

  /** Fails while merchant-API orders exist (user_id cannot become NOT NULL): payments are not deleted to undo a schema. */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS merchant_orders`);
    await q.query(`ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_source_user_ck`);
    await q.query(`ALTER TABLE orders DROP COLUMN IF EXISTS source`);
    await q.query(`ALTER TABLE orders ALTER COLUMN user_id SET NOT NULL`);
  }
}
