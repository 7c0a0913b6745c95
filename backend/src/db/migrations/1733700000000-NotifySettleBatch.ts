import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The one-statement notify settle for several notifies at once (docs/notify-performance.md): the
 * same rules as settle_notify_paid (migration NotifySettle), applied item by item in one statement
 * and so in one transaction and one commit. Under load this spreads a commit, a round trip and the
 * statement's set-up over every notify that arrived meanwhile.
 * - Items are handled in the order given; the caller sorts them so that two batches write order
 *   rows in the same order. A later item for an order an earlier item just paid sees it paid.
 * - A batch in which nothing moved (only duplicates and fallbacks) commits without waiting for the
 *   disk: its only writes are log rows of no-ops.
 * - One failing item fails the whole statement and nothing commits; the caller then settles the
 *   items one by one.
 */
export class NotifySettleBatch1733700000000 implements MigrationInterface {
  name = "NotifySettleBatch1733700000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE FUNCTION settle_notify_paid_batch(
        p_merchant text[], p_out_trade_no text[], p_transaction_id text[], p_total_fen bigint[],
        p_paid_at timestamptz[], p_event jsonb[], p_api_version text[], p_sign_type text[],
        p_to text, p_from text[], p_already text[], p_source text)
      RETURNS TABLE (idx int, result text, order_id uuid, from_state text)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        o record;
        i int;
        n int;
        moved boolean := false;
      BEGIN
        FOR i IN 1 .. coalesce(array_length(p_out_trade_no, 1), 0) LOOP
          idx := i;
          -- Same lookup as the full path: the order's own number, else a WeChat number it used.
          SELECT x.id, x.state, x.total_fen, x.transaction_id INTO o FROM orders x
            WHERE x.merchant_id = p_merchant[i] AND x.out_trade_no = p_out_trade_no[i];
          IF NOT FOUND THEN
            SELECT x.id, x.state, x.total_fen, x.transaction_id INTO o FROM orders x
              JOIN trade_numbers t ON t.order_id = x.id
              WHERE t.merchant_id = p_merchant[i] AND t.out_trade_no = p_out_trade_no[i]
                AND x.merchant_id = p_merchant[i];
          END IF;
          IF NOT FOUND THEN
            result := 'fallback'; order_id := NULL; from_state := NULL;
            RETURN NEXT;
            CONTINUE;
          END IF;
          -- Already paid under this very transaction: nothing can change that, no lock needed.
          IF o.state = ANY(p_already) AND o.transaction_id = p_transaction_id[i]
              AND o.total_fen = p_total_fen[i] THEN
            INSERT INTO notify_log (merchant_id, api_version, kind, out_trade_no, outcome, reason, sign_type)
              VALUES (p_merchant[i], p_api_version[i], 'pay', p_out_trade_no[i], 'noop', NULL, p_sign_type[i]);
            result := 'duplicate'; order_id := o.id; from_state := o.state;
            RETURN NEXT;
            CONTINUE;
          END IF;
          -- The move is conditional on the state just read, so no separate lock is taken: a
          -- concurrent change makes the UPDATE match nothing (it waits for that writer and checks
          -- again) and this notify goes to the full path.
          IF o.state = ANY(p_from) AND o.total_fen = p_total_fen[i] AND NOT EXISTS (
              SELECT 1 FROM orders y WHERE y.transaction_id = p_transaction_id[i] AND y.id <> o.id) THEN
            UPDATE orders SET state = p_to, updated_at = now(), paid_at = p_paid_at[i],
              transaction_id = p_transaction_id[i]
              WHERE id = o.id AND state = o.state AND total_fen = p_total_fen[i];
            GET DIAGNOSTICS n = ROW_COUNT;
          ELSE
            n := 0;
          END IF;
          IF n = 1 THEN
            INSERT INTO order_events (order_id, type, from_state, to_state, source, data)
              VALUES (o.id, 'transition', o.state, p_to, p_source, p_event[i]);
            INSERT INTO outbox (topic, order_id, dedupe_key, payload)
              VALUES ('order.' || p_to, o.id, 'order.' || p_to || ':' || o.id,
                jsonb_build_object('orderId', o.id, 'source', p_source))
              ON CONFLICT (dedupe_key) DO NOTHING;
            INSERT INTO notify_log (merchant_id, api_version, kind, out_trade_no, outcome, reason, sign_type)
              VALUES (p_merchant[i], p_api_version[i], 'pay', p_out_trade_no[i], 'applied', NULL, p_sign_type[i]);
            moved := true;
            result := 'applied'; order_id := o.id; from_state := o.state;
            RETURN NEXT;
            CONTINUE;
          END IF;
          result := 'fallback'; order_id := o.id; from_state := o.state;
          RETURN NEXT;
        END LOOP;
        IF NOT moved THEN
          PERFORM set_config('synchronous_commit', 'off', true);
        END IF;
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP FUNCTION IF EXISTS settle_notify_paid_batch(text[], text[], text[], bigint[], timestamptz[], jsonb[], text[], text[], text, text[], text[], text)`,
    );
  }
}
