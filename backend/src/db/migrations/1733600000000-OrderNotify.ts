import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Per-order `notifyUrl` deliveries (README, "Payment-centre mode"). They ride on the webhook
 * machinery: each merchant gets at most one hidden endpoint of kind `order_notify` that holds the
 * secret signing them (made on first use, shown through POST /admin/v1/order-notify-secret), and a
 * delivery may carry its own `target_url` (the order's notifyUrl) instead of its endpoint's URL.
 */
export class OrderNotify1733600000000 implements MigrationInterface {
  name = "OrderNotify1733600000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_endpoints ADD COLUMN kind text NOT NULL DEFAULT 'endpoint'
      CONSTRAINT webhook_endpoints_kind_check CHECK (kind IN ('endpoint', 'order_notify'))`);
    await q.query(`CREATE UNIQUE INDEX webhook_endpoints_order_notify_uq ON webhook_endpoints (merchant_id)
      WHERE kind = 'order_notify' AND deleted_at IS NULL`);
    await q.query(`ALTER TABLE webhook_deliveries ADD COLUMN target_url text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM webhook_attempts WHERE delivery_id IN (
      SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE e.kind = 'order_notify')`);
    await q.query(`DELETE FROM webhook_deliveries WHERE endpoint_id IN (
      SELECT id FROM webhook_endpoints WHERE kind = 'order_notify')`);
    await q.query(`DELETE FROM webhook_endpoints WHERE kind = 'order_notify'`);
    await q.query(`ALTER TABLE webhook_deliveries DROP COLUMN target_url`);
    await q.query(`DROP INDEX webhook_endpoints_order_notify_uq`);
    await q.query(`ALTER TABLE webhook_endpoints DROP COLUMN kind`);
  }
}
