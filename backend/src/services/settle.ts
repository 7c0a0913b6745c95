/**
 * "Apply WeChat's truth": the single path by which a notify, a verify call or the sweeper changes
 * an order because of what WeChat says. Locks the order row, compares merchant, amount and
 * currency, asks the domain what to do, and records transitions and anomalies in one transaction.
 */
import type { OrderState } from "@minipay/shared";
import { decideSettlement } from "../domain/order-machine";
import type { TradeFacts } from "../wechat/types";
import type { ServiceDeps } from "./deps";
import type { OrderRow } from "./order-view";
import { recordEvent, transition, type EventSource } from "./transition";

export type SettleOutcome =
  | { result: "applied"; orderId: string; from: OrderState; to: OrderState; anomaly?: string }
  | { result: "noop"; orderId: string; state: OrderState; why: string }
  | { result: "anomaly"; orderId: string | null; anomaly: string };

export interface MerchantIdentity {
  id: string;
  appid: string;
  mchid: string;
}

/** Facts as stored in events/anomalies: no openid (personal data), nothing secret. */
function factsForLog(f: TradeFacts): Record<string, unknown> {
  return {
    tradeState: f.tradeState,
    transactionId: f.transactionId,
    totalFen: f.totalFen,
    currency: f.currency,
    successTime: f.successTime?.toISOString() ?? null,
    appid: f.appid,
    mchid: f.mchid,
  };
}

export async function settle(
  deps: ServiceDeps,
  merchant: MerchantIdentity,
  facts: TradeFacts,
  source: EventSource,
): Promise<SettleOutcome> {
  return deps.ds.transaction(async (em) => {
    const anomaly = async (orderId: string | null, kind: string): Promise<SettleOutcome> => {
      await em.query(
        `INSERT INTO anomalies (order_id, out_trade_no, kind, source, facts) VALUES ($1, $2, $3, $4, $5)`,
        [orderId, facts.outTradeNo, kind, source, JSON.stringify(factsForLog(facts))],
      );
      if (orderId) await recordEvent(em, orderId, "anomaly", source, { kind, ...factsForLog(facts) });
      deps.logger.warn({ orderId, outTradeNo: facts.outTradeNo, kind, source }, "payment anomaly flagged");
      return { result: "anomaly", orderId, anomaly: kind };
    };

    if (facts.appid !== merchant.appid || facts.mchid !== merchant.mchid)
      return anomaly(null, "wrong_merchant");
    const rows: OrderRow[] = await em.query(
      `SELECT * FROM orders WHERE merchant_id = $1 AND out_trade_no = $2 FOR UPDATE`,
      [merchant.id, facts.outTradeNo],
    );
    const order = rows[0];
    if (!order) return anomaly(null, "unknown_order");

    const decision = decideSettlement(
      { state: order.state, totalFen: Number(order.total_fen) },
      { tradeState: facts.tradeState, totalFen: facts.totalFen, currency: facts.currency },
    );
    if (decision.kind === "anomaly") return anomaly(order.id, decision.anomaly);
    if (decision.kind === "noop") {
      if (
        decision.why === "already" &&
        facts.transactionId &&
        order.transaction_id &&
        facts.transactionId !== order.transaction_id
      ) {
        // Same order paid twice under different transactions: money to give back.
        return anomaly(order.id, "duplicate_payment");
      }
      return { result: "noop", orderId: order.id, state: order.state, why: decision.why };
    }
    const moved = await transition(
      em,
      { id: order.id, state: order.state },
      decision.to,
      source,
      { tradeState: facts.tradeState, transactionId: facts.transactionId },
      decision.to === "paid"
        ? { paidAt: facts.successTime ?? deps.now(), transactionId: facts.transactionId }
        : {},
    );
    if (!moved) return { result: "noop", orderId: order.id, state: order.state, why: "raced" };
    if (decision.to === "closed" && !order.stock_released) await releaseStock(em, order.id);
    if (decision.anomaly) await anomaly(order.id, decision.anomaly);
    return {
      result: "applied",
      orderId: order.id,
      from: order.state,
      to: decision.to,
      anomaly: decision.anomaly,
    };
  });
}

/** Give reserved stock back once (closed/expired orders). */
export async function releaseStock(
  q: { query: (sql: string, p?: unknown[]) => Promise<any> },
  orderId: string,
) {
  const r = await q.query(
    `UPDATE orders SET stock_released = true WHERE id = $1 AND stock_released = false RETURNING id`,
    [orderId],
  );
  const rows = Array.isArray(r[0]) ? r[0] : r;
  if (rows.length === 0) return;
  await q.query(
    `UPDATE products p SET stock = p.stock + i.quantity FROM order_items i WHERE i.order_id = $1 AND i.product_id = p.id`,
    [orderId],
  );
}
