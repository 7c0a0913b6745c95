import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Merchant webhooks (README "Webhooks"): endpoints with their signing secret sealed at rest (and the
 * previous one until its overlap ends after a rotation), one delivery per (event, endpoint) and
 * every attempt made for it. The outbox learns which merchant a row belongs to when it has no
 * order (anomalies), the event id it was published under, and when it was fanned out; rows
 * written before this migration count as fanned out, so an upgrade sends no old news.
 */
export class Webhooks1733200000000 implements MigrationInterface {
  name = "Webhooks1733200000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE webhook_endpoints (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      merchant_id text NOT NULL REFERENCES merchants(id) ON UPDATE CASCADE,
      url text NOT NULL,
      events text[] NOT NULL,
      description text NOT NULL DEFAULT '',
      secret_sealed text NOT NULL,
      previous_secret_sealed text,
      previous_secret_expires_at timestamptz,
      enabled boolean NOT NULL DEFAULT true,
      disabled_reason text,
      failing_since timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      deleted_at timestamptz)`);
    await q.query(
      `CREATE INDEX webhook_endpoints_merchant_idx ON webhook_endpoints (merchant_id, created_at) WHERE deleted_at IS NULL`,
    );
    await q.query(`CREATE TABLE webhook_deliveries (
      id bigserial PRIMARY KEY,
      merchant_id text NOT NULL REFERENCES merchants(id) ON UPDATE CASCADE,
      endpoint_id uuid NOT NULL REFERENCES webhook_endpoints(id),
      event_id text NOT NULL,
      event_type text NOT NULL,
      payload text NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
      attempts int NOT NULL DEFAULT 0,
      next_attempt_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT webhook_deliveries_event_endpoint_uq UNIQUE (event_id, endpoint_id))`);
    await q.query(
      `CREATE INDEX webhook_deliveries_merchant_idx ON webhook_deliveries (merchant_id, id DESC)`,
    );
    await q.query(
      `CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`,
    );
    await q.query(`CREATE TABLE webhook_attempts (
      id bigserial PRIMARY KEY,
      delivery_id bigint NOT NULL REFERENCES webhook_deliveries(id),
      at timestamptz NOT NULL DEFAULT now(),
      status_code int,
      latency_ms int NOT NULL,
      response_head text,
      error text)`);
    await q.query(`CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id)`);

    await q.query(`ALTER TABLE outbox
      ADD COLUMN merchant_id text REFERENCES merchants(id) ON UPDATE CASCADE,
      ADD COLUMN event_id text UNIQUE,
      ADD COLUMN webhooks_at timestamptz`);
    await q.query(`UPDATE outbox SET webhooks_at = now()`);
    await q.query(`CREATE INDEX outbox_webhooks_pending_idx ON outbox (id) WHERE webhooks_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS outbox_webhooks_pending_idx`);
    await q.query(
      `ALTER TABLE outbox DROP COLUMN webhooks_at, DROP COLUMN event_id, DROP COLUMN merchant_id`,
    );
    await q.query(`DROP TABLE IF EXISTS webhook_attempts`);
    await q.query(`DROP TABLE IF EXISTS webhook_deliveries`);
    await q.query(`DROP TABLE IF EXISTS webhook_endpoints`);
  }
}
