import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The merchant's order list and reports: a keyset index per merchant on (created_at, id) so a deep
 * page is as fast as the first, one on paid_at for the paid-time filters and the daily report, and
 * anomalies by order for the order's detail page.
 */
export class AdminOrders1732900000000 implements MigrationInterface {
  name = "AdminOrders1732900000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX orders_merchant_created_idx ON orders (merchant_id, created_at DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX orders_merchant_paid_idx ON orders (merchant_id, paid_at) WHERE paid_at IS NOT NULL`,
    );
    await q.query(`CREATE INDEX anomalies_order_idx ON anomalies (order_id) WHERE order_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS anomalies_order_idx`);
    await q.query(`DROP INDEX IF EXISTS orders_merchant_paid_idx`);
    await q.query(`DROP INDEX IF EXISTS orders_merchant_created_idx`);
  }
}
