/** Rows → the shared Order shape. The only place that knows both. */
import type { Order, OrderEvent, OrderState } from "@minipay/shared";
import type { Queryable } from "./deps";

export interface OrderRow {
  id: string;
  user_id: string;
  merchant_id: string;
  out_trade_no: string;
  state: OrderState;
  total_fen: string;
  refunded_fen: string;
  currency: string;
  description: string;
  idempotency_key: string;
  request_hash: string;
  transaction_id: string | null;
  stock_released: boolean;
  expires_at: Date;
  paid_at: Date | null;
  created_at: Date;
}

/** Event types a shopper may see; internal ones (anomalies, raw WeChat facts) stay internal. */
const VISIBLE_EVENTS = new Set(["created", "transition"]);

export async function loadOrderView(q: Queryable, row: OrderRow, withEvents: boolean): Promise<Order> {
  const items = await q.query(
    `SELECT product_id, name, unit_price_fen, quantity, subtotal_fen FROM order_items WHERE order_id = $1 ORDER BY id`,
    [row.id],
  );
  let events: OrderEvent[] | undefined;
  if (withEvents) {
    const ev = await q.query(
      `SELECT type, from_state, to_state, created_at FROM order_events WHERE order_id = $1 ORDER BY id`,
      [row.id],
    );
    events = ev
      .filter((e: any) => VISIBLE_EVENTS.has(e.type))
      .map((e: any) => ({
        type: e.type,
        from: e.from_state,
        to: e.to_state,
        at: new Date(e.created_at).toISOString(),
      }));
  }
  return {
    id: row.id,
    outTradeNo: row.out_trade_no,
    state: row.state,
    totalFen: Number(row.total_fen),
    refundedFen: Number(row.refunded_fen),
    currency: "CNY",
    description: row.description,
    items: items.map((i: any) => ({
      productId: i.product_id,
      name: i.name,
      unitPriceFen: Number(i.unit_price_fen),
      quantity: Number(i.quantity),
      subtotalFen: Number(i.subtotal_fen),
    })),
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: new Date(row.expires_at).toISOString(),
    paidAt: row.paid_at ? new Date(row.paid_at).toISOString() : null,
    ...(events ? { events } : {}),
  };
}
