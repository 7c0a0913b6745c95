import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The first schema. Money is bigint fen with CHECKs; uniqueness constraints are the last line of
 * defence against double payment (out_trade_no, transaction_id, outbox dedupe key).
 */
export class Init1732400000000 implements MigrationInterface {
  name = "Init1732400000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE merchants (
      id text PRIMARY KEY,
      api_version text NOT NULL CHECK (api_version IN ('v2','v3')),
      appid text NOT NULL,
      mchid text NOT NULL,
      credentials_sealed text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      appid text NOT NULL,
      openid text NOT NULL,
      unionid text,
      session_key_sealed text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT users_appid_openid_uq UNIQUE (appid, openid))`);
    await q.query(`CREATE TABLE sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id),
      token_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz)`);
    await q.query(`CREATE TABLE login_codes (
      code_hash text PRIMARY KEY,
      used_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE products (
      id text PRIMARY KEY,
      name text NOT NULL,
      description text NOT NULL DEFAULT '',
      price_fen bigint NOT NULL CHECK (price_fen > 0),
      stock integer NOT NULL CHECK (stock >= 0),
      image_url text,
      active boolean NOT NULL DEFAULT true,
      sort integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE orders (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id),
      merchant_id text NOT NULL REFERENCES merchants(id),
      out_trade_no text NOT NULL,
      state text NOT NULL,
      total_fen bigint NOT NULL CHECK (total_fen > 0),
      refunded_fen bigint NOT NULL DEFAULT 0 CHECK (refunded_fen >= 0 AND refunded_fen <= total_fen),
      currency text NOT NULL DEFAULT 'CNY',
      description text NOT NULL,
      idempotency_key text NOT NULL,
      request_hash text NOT NULL,
      transaction_id text UNIQUE,
      stock_released boolean NOT NULL DEFAULT false,
      expires_at timestamptz NOT NULL,
      paid_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT orders_out_trade_no_uq UNIQUE (merchant_id, out_trade_no),
      CONSTRAINT orders_idempotency_uq UNIQUE (user_id, idempotency_key))`);
    await q.query(`CREATE INDEX orders_user_created_idx ON orders (user_id, created_at DESC, id DESC)`);
    await q.query(
      `CREATE INDEX orders_pending_idx ON orders (state, expires_at) WHERE state IN ('created','paying')`,
    );
    await q.query(`CREATE TABLE order_items (
      id bigserial PRIMARY KEY,
      order_id uuid NOT NULL REFERENCES orders(id),
      product_id text NOT NULL REFERENCES products(id),
      name text NOT NULL,
      unit_price_fen bigint NOT NULL CHECK (unit_price_fen > 0),
      quantity integer NOT NULL CHECK (quantity > 0),
      subtotal_fen bigint NOT NULL CHECK (subtotal_fen > 0))`);
    await q.query(`CREATE INDEX order_items_order_idx ON order_items (order_id)`);
    await q.query(`CREATE TABLE order_events (
      id bigserial PRIMARY KEY,
      order_id uuid NOT NULL REFERENCES orders(id),
      type text NOT NULL,
      from_state text,
      to_state text,
      source text NOT NULL,
      data jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX order_events_order_idx ON order_events (order_id, id)`);
    await q.query(`CREATE TABLE payment_attempts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      order_id uuid NOT NULL REFERENCES orders(id),
      method text NOT NULL CHECK (method IN ('jsapi','native')),
      prepay_id text,
      code_url text,
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(
      `CREATE INDEX payment_attempts_order_idx ON payment_attempts (order_id, method, created_at DESC)`,
    );
    await q.query(`CREATE TABLE notify_log (
      id bigserial PRIMARY KEY,
      merchant_id text,
      api_version text NOT NULL,
      kind text NOT NULL,
      out_trade_no text,
      outcome text NOT NULL,
      reason text,
      created_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE anomalies (
      id bigserial PRIMARY KEY,
      order_id uuid REFERENCES orders(id),
      out_trade_no text,
      kind text NOT NULL,
      source text NOT NULL,
      facts jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      resolved_at timestamptz)`);
    await q.query(`CREATE TABLE outbox (
      id bigserial PRIMARY KEY,
      topic text NOT NULL,
      order_id uuid REFERENCES orders(id),
      dedupe_key text NOT NULL UNIQUE,
      payload jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      delivered_at timestamptz)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      "outbox",
      "anomalies",
      "notify_log",
      "payment_attempts",
      "order_events",
      "order_items",
      "orders",
      "products",
      "login_codes",
      "sessions",
      "users",
      "merchants",
    ])
      await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
