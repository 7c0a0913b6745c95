/**
 * The one function that changes an order's state. It asks the domain table, updates the row only
 * if it is still in the state we read (so a concurrent change makes this a no-op, never a double
 * move), writes the event row, and on "paid", "closed" and "expired" an outbox row with a unique key.
 * Must run inside the caller's transaction (pass its repositories).
 */
import type { OrderState } from "@minipay/shared";
import { assertTransition } from "../domain/order-machine";
import { ALREADY_PAID_IN, PAID_CLEANLY_FROM } from "../domain/settle-shortcuts";
import type { EventSource, NotifySettleInput, NotifySettleResult, Repos } from "../db/repositories";

export type { EventSource };

export async function transition(
  r: Repos,
  order: { id: string; state: OrderState },
  to: OrderState,
  source: EventSource,
  data: Record<string, unknown> = {},
  set: { paidAt?: Date; transactionId?: string | null } = {},
): Promise<boolean> {
  assertTransition(order.state, to);
  // Fulfilment and the merchant's webhooks read these; a key per (event, order) writes each once.
  const outbox =
    to === "paid" || to === "closed" || to === "expired"
      ? { topic: `order.${to}`, dedupeKey: `order.${to}:${order.id}`, payload: { orderId: order.id, source } }
      : null;
  // One statement: the move, its event row and its outbox row, or nothing.
  return r.orders.moveState(order.id, order.state, to, set, { source, data, outbox });
}

/** Give an order's reserved stock back, once (closed and expired orders). */
export async function releaseStock(r: Repos, orderId: string): Promise<void> {
  if (await r.orders.markStockReleased(orderId)) await r.products.restockFromOrder(orderId);
}

/**
 * The same move for a payment notify, in one statement that is its own transaction: the states it
 * may move from and those that count as already paid come from the transition table
 * (domain/settle-shortcuts.ts); the event, outbox and notify_log rows are written as above.
 * Not inside a caller's transaction: it commits by itself. 'fallback' wrote nothing.
 */
export async function transitionPaidFromNotify(
  r: Repos,
  p: Omit<NotifySettleInput, "to" | "from" | "already">,
): Promise<NotifySettleResult> {
  for (const from of PAID_CLEANLY_FROM) assertTransition(from, "paid");
  return r.notifySettle.settlePaid({ ...p, to: "paid", from: PAID_CLEANLY_FROM, already: ALREADY_PAID_IN });
}
