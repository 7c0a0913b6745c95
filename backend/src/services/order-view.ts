/** Order records → the shared Order shape the shopper sees. The only place that knows both. */
import type { Order } from "@minipay/shared";
import type { OrderRecord, Repos } from "../db/repositories";
import { shopperRefundView } from "./refunds";

/** Event types a shopper may see; internal ones (anomalies, raw WeChat facts) stay internal. */
const VISIBLE_EVENTS = ["created", "transition"] as const;

/** What the caller already has (just wrote, or read for a whole page), so the view need not read it. */
export interface KnownParts {
  items?: Order["items"];
  events?: NonNullable<Order["events"]>;
  refunds?: NonNullable<Order["refunds"]>;
}

export async function orderView(
  r: Repos,
  o: OrderRecord,
  withEvents: boolean,
  known: KnownParts = {},
): Promise<Order> {
  // Independent reads, sent together (on a transaction's connection they still run one by one).
  const [items, events, refunds] = await Promise.all([
    known.items ?? r.orders.items(o.id),
    !withEvents
      ? undefined
      : (known.events ??
        r.events
          .forOrder(o.id, VISIBLE_EVENTS)
          .then((es) =>
            es.map((e) => ({ type: e.type, from: e.from, to: e.to, at: e.createdAt.toISOString() })),
          )),
    !withEvents
      ? undefined
      : (known.refunds ?? r.refunds.forOrder(o.id).then((rs) => rs.map(shopperRefundView))),
  ]);
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
    ...(refunds ? { refunds } : {}),
  };
}
