/** Order records → the shared Order shape the shopper sees. The only place that knows both. */
import type { Order } from "@minipay/shared";
import type { OrderRecord, Repos } from "../db/repositories";
import { shopperRefundView } from "./refunds";

/** Event types a shopper may see; internal ones (anomalies, raw WeChat facts) stay internal. */
const VISIBLE_EVENTS = ["created", "transition"] as const;

/** What the caller has just written, so the view need not read it back (a new order). */
export interface KnownParts {
  items: Order["items"];
  events: NonNullable<Order["events"]>;
  refunds: NonNullable<Order["refunds"]>;
}

export async function orderView(
  r: Repos,
  o: OrderRecord,
  withEvents: boolean,
  known?: KnownParts,
): Promise<Order> {
  const items = known?.items ?? (await r.orders.items(o.id));
  const events = withEvents
    ? (known?.events ??
      (await r.events.forOrder(o.id, VISIBLE_EVENTS)).map((e) => ({
        type: e.type,
        from: e.from,
        to: e.to,
        at: e.createdAt.toISOString(),
      })))
    : undefined;
  return {
    id: o.id,
    outTradeNo: o.outTradeNo,
    state: o.state,
    totalFen: o.totalFen,
    refundedFen: o.refundedFen,
    currency: "CNY",
    description: o.description,
    items,
    createdAt: o.createdAt.toISOString(),
    expiresAt: o.expiresAt.toISOString(),
    paidAt: o.paidAt ? o.paidAt.toISOString() : null,
    transactionId: o.transactionId,
    ...(events ? { events } : {}),
    // On the detail only, like the events: amount, state and times of each refund.
    ...(withEvents
      ? { refunds: known?.refunds ?? (await r.refunds.forOrder(o.id)).map(shopperRefundView) }
      : {}),
  };
}
