/**
 * The one function that changes an order's state. It asks the domain table, updates the row only
 * if it is still in the state we read (so a concurrent change makes this a no-op, never a double
 * move), writes the event row, and on "paid" writes the fulfilment outbox row with a unique key.
 * Must run inside the caller's transaction.
 */
import type { OrderState } from "@minipay/shared";
import { canTransition } from "../domain/order-machine";
import type { Queryable } from "./deps";

export type EventSource = "api" | "notify" | "verify" | "sweeper" | "admin";

export async function transition(
  q: Queryable,
  order: { id: string; state: OrderState },
  to: OrderState,
  source: EventSource,
  data: Record<string, unknown> = {},
  set: { paidAt?: Date; transactionId?: string | null } = {},
): Promise<boolean> {
  if (!canTransition(order.state, to)) throw new Error(`illegal transition ${order.state} → ${to}`);
  const res = await q.query(
    `UPDATE orders SET state = $3, updated_at = now(),
       paid_at = COALESCE($4, paid_at), transaction_id = COALESCE($5, transaction_id)
     WHERE id = $1 AND state = $2 RETURNING id`,
    [order.id, order.state, to, set.paidAt ?? null, set.transactionId ?? null],
  );
  // pg returns [rows, count] for UPDATE ... RETURNING through TypeORM
  const rows = Array.isArray(res[0]) ? res[0] : res;
  if (rows.length === 0) return false;
  await q.query(
    `INSERT INTO order_events (order_id, type, from_state, to_state, source, data) VALUES ($1, 'transition', $2, $3, $4, $5)`,
    [order.id, order.state, to, source, JSON.stringify(data)],
  );
  if (to === "paid") {
    await q.query(
      `INSERT INTO outbox (topic, order_id, dedupe_key, payload) VALUES ('order.paid', $1, $2, $3)
       ON CONFLICT (dedupe_key) DO NOTHING`,
      [order.id, `order.paid:${order.id}`, JSON.stringify({ orderId: order.id, source })],
    );
  }
  return true;
}

export async function recordEvent(
  q: Queryable,
  orderId: string,
  type: string,
  source: EventSource,
  data: Record<string, unknown> = {},
): Promise<void> {
  await q.query(`INSERT INTO order_events (order_id, type, source, data) VALUES ($1, $2, $3, $4)`, [
    orderId,
    type,
    source,
    JSON.stringify(data),
  ]);
}
