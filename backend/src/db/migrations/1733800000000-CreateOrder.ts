import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * A shop order's writes in one statement (docs/notify-performance.md, "create + prepay"). The
 * caller prices the cart in TypeScript from a plain read of the products and passes the priced
 * lines; the function then, in one implicit transaction:
 * - locks the shopper's row (serialises one shopper's creates, from any process; lock order
 *   everywhere: user, then products by id);
 * - returns 'replay' when the Idempotency-Key already made an order;
 * - enforces the open-order cap ('too_many_open') and the per-product cap ('quantity_limit'),
 *   counting the open orders as of p_now (each statement of a plpgsql function sees the rows
 *   committed before it, so the counts include everything committed before the user lock);
 * - locks the products in id order and checks each is still what was priced (active, same price
 *   and name, enough stock); if one is not, 'catalog_moved' and nothing is written, and the caller
 *   prices again with the rows locked;
 * - takes the units, inserts the order, its lines (in the given order) and its 'created' event.
 * The product rows stay locked only until this statement commits, so creates of one popular
 * product do not queue behind each other's round trips. The previous version took four to six
 * round trips (plus BEGIN and COMMIT) with the product rows locked.
 * It commits without waiting for the disk (see the function): a database crash in the next few
 * hundred milliseconds may lose an order that no prepay was made for yet, and its stock with it.
 */
export class CreateOrder1733800000000 implements MigrationInterface {
  name = "CreateOrder1733800000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE FUNCTION create_shop_order(
        p_merchant text, p_user uuid, p_key text, p_hash text,
        p_max_open int, p_max_quantity int, p_now timestamptz,
        p_out_trade_no text, p_total_fen bigint, p_description text, p_expires_at timestamptz,
        p_product text[], p_name text[], p_unit_price_fen bigint[], p_quantity int[], p_subtotal_fen bigint[])
      RETURNS TABLE (result text, detail jsonb, order_row jsonb, event_at timestamptz)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        o orders;
        n int;
        capped record;
      BEGIN
        -- No wait for the disk: nothing of an order reaches WeChat before a later synchronous
        -- commit (the prepay's), and that flushes this one with it (the log is written in order).
        PERFORM set_config('synchronous_commit', 'off', true);
        PERFORM 1 FROM users WHERE id = p_user FOR NO KEY UPDATE;
        -- The same key may have won meanwhile: the caller replays it.
        SELECT * INTO o FROM orders
          WHERE user_id = p_user AND idempotency_key = p_key AND merchant_id = p_merchant;
        IF FOUND THEN
          result := 'replay'; order_row := to_jsonb(o);
          RETURN NEXT; RETURN;
        END IF;
        SELECT count(*)::int INTO n FROM orders
          WHERE user_id = p_user AND state IN ('created', 'paying') AND expires_at > p_now;
        IF n >= p_max_open THEN
          result := 'too_many_open'; detail := jsonb_build_object('limit', p_max_open, 'open', n);
          RETURN NEXT; RETURN;
        END IF;
        -- The first line (in the cart's order) that would take the shopper over the per-product cap.
        SELECT w.product_id, coalesce(h.held, 0) AS held INTO capped
          FROM unnest(p_product, p_quantity) WITH ORDINALITY AS w(product_id, quantity, pos)
          LEFT JOIN (
            SELECT i.product_id, sum(i.quantity)::int AS held FROM order_items i
              JOIN orders x ON x.id = i.order_id
              WHERE x.user_id = p_user AND x.state IN ('created', 'paying') AND x.expires_at > p_now
                AND i.product_id = ANY(p_product)
              GROUP BY i.product_id) h ON h.product_id = w.product_id
          WHERE coalesce(h.held, 0) + w.quantity > p_max_quantity
          ORDER BY w.pos LIMIT 1;
        IF FOUND THEN
          result := 'quantity_limit';
          detail := jsonb_build_object('productId', capped.product_id, 'limit', p_max_quantity, 'held', capped.held);
          RETURN NEXT; RETURN;
        END IF;
        -- Lock in id order; a row a concurrent writer changed is checked again in its new version.
        SELECT count(*)::int INTO n FROM (
          SELECT 1 FROM products p
            JOIN unnest(p_product, p_name, p_unit_price_fen, p_quantity) AS l(id, name, price_fen, quantity)
              ON p.id = l.id
            WHERE p.merchant_id = p_merchant AND p.active AND p.price_fen = l.price_fen
              AND p.name = l.name AND p.stock >= l.quantity
            ORDER BY p.id
            FOR UPDATE OF p) ok;
        IF n <> coalesce(array_length(p_product, 1), 0) THEN
          result := 'catalog_moved';
          RETURN NEXT; RETURN;
        END IF;
        UPDATE products p SET stock = p.stock - l.quantity
          FROM unnest(p_product, p_quantity) AS l(id, quantity)
          WHERE p.merchant_id = p_merchant AND p.id = l.id;
        INSERT INTO orders (user_id, merchant_id, out_trade_no, state, total_fen, description, idempotency_key,
            request_hash, expires_at, created_at, updated_at, source)
          VALUES (p_user, p_merchant, p_out_trade_no, 'created', p_total_fen, p_description, p_key,
            p_hash, p_expires_at, p_now, p_now, 'shop')
          RETURNING * INTO o;
        INSERT INTO order_items (order_id, merchant_id, product_id, name, unit_price_fen, quantity, subtotal_fen)
          SELECT o.id, p_merchant, l.id, l.name, l.price_fen, l.quantity, l.subtotal_fen
          FROM unnest(p_product, p_name, p_unit_price_fen, p_quantity, p_subtotal_fen) WITH ORDINALITY
            AS l(id, name, price_fen, quantity, subtotal_fen, pos)
          ORDER BY l.pos;
        INSERT INTO order_events (order_id, type, from_state, to_state, source, data)
          VALUES (o.id, 'created', NULL, 'created', 'api', jsonb_build_object('totalFen', p_total_fen))
          RETURNING created_at INTO event_at;
        result := 'created'; order_row := to_jsonb(o);
        RETURN NEXT;
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP FUNCTION IF EXISTS create_shop_order(text, uuid, text, text, int, int, timestamptz, text, bigint, text, timestamptz, text[], text[], bigint[], int[], bigint[])`,
    );
  }
}
