import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Many merchants on one deployment. Each WeChat Pay account (mchid) gets its own row with a stable
 * id (`mch_<mchid>`), replacing the single "default" row whose identity changed with the
 * configuration. Users, products and anomalies now belong to a merchant; products are keyed per
 * merchant. A payment attempt may be live at most once per (order, method), so two concurrent taps
 * on "pay" converge on one prepay without holding a lock across the WeChat call.
 */
export class ManyMerchants1732500000000 implements MigrationInterface {
  name = "ManyMerchants1732500000000";

  async up(q: QueryRunner): Promise<void> {
    // Foreign keys to merchants follow a renamed id.
    await q.query(`ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_merchant_id_fkey`);
    await q.query(`ALTER TABLE merchants
      ADD COLUMN name text,
      ADD COLUMN source text NOT NULL DEFAULT 'unknown',
      ADD COLUMN sandbox_url text,
      ADD COLUMN disabled_at timestamptz`);
    await q.query(
      `UPDATE merchants SET id = 'mch_' || mchid, name = COALESCE(name, mchid) WHERE id = 'default'`,
    );
    await q.query(`UPDATE orders o SET merchant_id = 'mch_' || m.mchid FROM merchants m
      WHERE o.merchant_id = 'default' AND m.id = 'mch_' || m.mchid`);
    await q.query(`UPDATE notify_log SET merchant_id = (SELECT id FROM merchants ORDER BY created_at LIMIT 1)
      WHERE merchant_id = 'default'`);
    await q.query(`ALTER TABLE orders ADD CONSTRAINT orders_merchant_id_fkey
      FOREIGN KEY (merchant_id) REFERENCES merchants(id) ON UPDATE CASCADE`);
    await q.query(`ALTER TABLE merchants ADD CONSTRAINT merchants_mchid_uq UNIQUE (mchid)`);
    // One enabled merchant per mini-program: login finds the merchant by appid.
    await q.query(
      `CREATE UNIQUE INDEX merchants_appid_enabled_uq ON merchants (appid) WHERE disabled_at IS NULL`,
    );

    await q.query(`ALTER TABLE users ADD COLUMN merchant_id text REFERENCES merchants(id) ON UPDATE CASCADE`);
    await q.query(`UPDATE users u SET merchant_id = m.id FROM merchants m WHERE m.appid = u.appid`);
    // Users of an app no merchant row knows any more cannot log in again; keep the rows (orders point at them).

    await q.query(
      `ALTER TABLE products ADD COLUMN merchant_id text REFERENCES merchants(id) ON UPDATE CASCADE`,
    );
    await q.query(`UPDATE products SET merchant_id = (SELECT id FROM merchants ORDER BY created_at LIMIT 1)`);
    await q.query(`ALTER TABLE order_items ADD COLUMN merchant_id text`);
    await q.query(
      `UPDATE order_items i SET merchant_id = o.merchant_id FROM orders o WHERE o.id = i.order_id`,
    );
    await q.query(`ALTER TABLE order_items DROP CONSTRAINT IF EXISTS order_items_product_id_fkey`);
    await q.query(`ALTER TABLE products DROP CONSTRAINT products_pkey`);
    // A product without a merchant cannot exist from here on (none is written before a merchant is).
    await q.query(`DELETE FROM products WHERE merchant_id IS NULL`);
    await q.query(`ALTER TABLE products ALTER COLUMN merchant_id SET NOT NULL`);
    await q.query(`ALTER TABLE products ADD PRIMARY KEY (merchant_id, id)`);
    await q.query(`ALTER TABLE order_items ALTER COLUMN merchant_id SET NOT NULL`);
    await q.query(`ALTER TABLE order_items ADD CONSTRAINT order_items_product_fk
      FOREIGN KEY (merchant_id, product_id) REFERENCES products(merchant_id, id) ON UPDATE CASCADE`);

    await q.query(
      `ALTER TABLE anomalies ADD COLUMN merchant_id text REFERENCES merchants(id) ON UPDATE CASCADE`,
    );
    await q.query(`UPDATE anomalies a SET merchant_id = o.merchant_id FROM orders o WHERE o.id = a.order_id`);
    await q.query(`ALTER TABLE notify_log ADD COLUMN sign_type text`);

    await q.query(`ALTER TABLE payment_attempts ADD COLUMN superseded_at timestamptz`);
    // Attempts made before this migration: keep the newest per (order, method) live.
    await q.query(`UPDATE payment_attempts a SET superseded_at = now() WHERE EXISTS (
      SELECT 1 FROM payment_attempts b WHERE b.order_id = a.order_id AND b.method = a.method
        AND (b.created_at, b.id) > (a.created_at, a.id))`);
    await q.query(`CREATE UNIQUE INDEX payment_attempts_live_uq ON payment_attempts (order_id, method)
      WHERE superseded_at IS NULL`);
    await q.query(`CREATE INDEX orders_merchant_pending_idx ON orders (merchant_id, state, updated_at)
      WHERE state IN ('created','paying')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS orders_merchant_pending_idx`);
    await q.query(`DROP INDEX IF EXISTS payment_attempts_live_uq`);
    await q.query(`ALTER TABLE payment_attempts DROP COLUMN superseded_at`);
    await q.query(`ALTER TABLE notify_log DROP COLUMN sign_type`);
    await q.query(`ALTER TABLE anomalies DROP COLUMN merchant_id`);
    await q.query(`ALTER TABLE order_items DROP CONSTRAINT order_items_product_fk`);
    await q.query(`ALTER TABLE products DROP CONSTRAINT products_pkey`);
    await q.query(`ALTER TABLE products ADD PRIMARY KEY (id)`);
    await q.query(`ALTER TABLE products DROP COLUMN merchant_id`);
    await q.query(`ALTER TABLE order_items DROP COLUMN merchant_id`);
    await q.query(`ALTER TABLE order_items ADD CONSTRAINT order_items_product_id_fkey
      FOREIGN KEY (product_id) REFERENCES products(id)`);
    await q.query(`ALTER TABLE users DROP COLUMN merchant_id`);
    await q.query(`DROP INDEX IF EXISTS merchants_appid_enabled_uq`);
    await q.query(`ALTER TABLE merchants DROP CONSTRAINT merchants_mchid_uq`);
    await q.query(`ALTER TABLE merchants DROP COLUMN name, DROP COLUMN source, DROP COLUMN sandbox_url,
      DROP COLUMN disabled_at`);
  }
}
