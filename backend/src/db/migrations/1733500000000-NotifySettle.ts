import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * One round trip for the common payment notify (docs/notify-performance.md): a function that, in
 * the single statement's own transaction, answers a plain duplicate from an unlocked read, or locks
 * the order, checks it, moves it, and writes the event, the outbox row and the notify_log row.
 * It decides nothing itself: the caller passes the states it may move from (derived from the
 * transition table) and the states that count as already paid. Anything else comes back as
 * 'fallback' with nothing written, and the caller runs the full settle path.
 */
export class NotifySettle1733500000000 implements MigrationInterface {
  name = "NotifySettle1733500000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE FUNCTION settle_notify_paid(
        p_merchant text, p_out_trade_no text, p_transaction_id text, p_total_fen bigint,
        p_paid_at timestamptz, p_to text, p_from text[], p_already text[], p_source text,
        p_event jsonb, p_api_version text, p_sign_type text)
      RETURNS TABLE (result text, order_id uuid, from_state text)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        o record;
      BEGIN
        -- Same lookup as the full path: the order's own number or any WeChat number it used.
        SELECT x.id, x.state, x.total_fen, x.transaction_id INTO o FROM orders x
          WHERE x.merchant_id = p_merchant AND (x.out_trade_no = p_out_trade_no OR x.id = (
            SELECT t.order_id FROM trade_numbers t
            WHERE t.merchant_id = p_merchant AND t.out_trade_no = p_out_trade_no));
        IF NOT FOUND THEN
          RETURN QUERY SELECT 'fallback'::text, NULL::uuid, NULL::text;
          RETURN;
        END IF;
        -- Already paid under this very transaction: nothing can change that, so no lock is needed.
        -- The only write is the log row of a no-op, so this commit need not wait for the disk
        -- (asynchronous commit: a crash may lose that row, never a payment).
        IF o.state = ANY(p_already) AND o.transaction_id = p_transaction_id AND o.total_fen = p_total_fen THEN
          PERFORM set_config('synchronous_commit', 'off', true);
          INSERT INTO notify_log (merchant_id, api_version, kind, out_trade_no, outcome, reason, sign_type)
            VALUES (p_merchant, p_api_version, 'pay', p_out_trade_no, 'noop', NULL, p_sign_type);
          RETURN QUERY SELECT 'duplicate'::text, o.id, o.state;
          RETURN;
        END IF;
        SELECT x.id, x.state, x.total_fen INTO o FROM orders x WHERE x.id = o.id FOR UPDATE;
        IF o.state = ANY(p_from) AND o.total_fen = p_total_fen AND NOT EXISTS (
            SELECT 1 FROM orders y WHERE y.transaction_id = p_transaction_id AND y.id <> o.id) THEN
          UPDATE orders SET state = p_to, updated_at = now(), paid_at = p_paid_at,
            transaction_id = p_transaction_id WHERE id = o.id;
          INSERT INTO order_events (order_id, type, from_state, to_state, source, data)
            VALUES (o.id, 'transition', o.state, p_to, p_source, p_event);
          INSERT INTO outbox (topic, order_id, dedupe_key, payload)
            VALUES ('order.' || p_to, o.id, 'order.' || p_to || ':' || o.id,
              jsonb_build_object('orderId', o.id, 'source', p_source))
            ON CONFLICT (dedupe_key) DO NOTHING;
          INSERT INTO notify_log (merchant_id, api_version, kind, out_trade_no, outcome, reason, sign_type)
            VALUES (p_merchant, p_api_version, 'pay', p_out_trade_no, 'applied', NULL, p_sign_type);
          RETURN QUERY SELECT 'applied'::text, o.id, o.state;
          RETURN;
        END IF;
        RETURN QUERY SELECT 'fallback'::text, o.id, o.state;
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP FUNCTION IF EXISTS settle_notify_paid(text, text, text, bigint, timestamptz, text, text[], text[], text, jsonb, text, text)`,
    );
  }
}
