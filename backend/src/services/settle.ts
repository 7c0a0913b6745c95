/**
 * "Apply WeChat's truth": the single path by which a notify, a verify call or the sweeper changes
 * an order because of what WeChat says. Locks the order row, compares merchant, amount and
 * currency, asks the domain what to do, and records transitions and anomalies in one transaction.
 */
import type { OrderState } from "@minipay/shared";
import { decideSettlement } from "../domain/order-machine";
import type { Repos } from "../db/repositories";
import type { TradeFacts } from "../wechat/types";
import type { MerchantIdentity, ServiceDeps } from "./deps";
import { releaseStock, transition, type EventSource } from "./transition";

export type SettleOutcome =
  | { result: "applied"; orderId: string; from: OrderState; to: OrderState; anomaly?: string }
  | { result: "noop"; orderId: string; state: OrderState; why: string }
  | { result: "anomaly"; orderId: string | null; anomaly: string };

export type { MerchantIdentity };

/** Facts as stored in events/anomalies: no openid (personal data), nothing secret. */
export function factsForLog(f: TradeFacts): Record<string, unknown> {
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

/** Record an anomaly (and an order event when the order is known) inside the caller's transaction. */
export async function flagAnomaly(
  deps: Pick<ServiceDeps, "logger">,
  r: Repos,
  a: {
    merchantId: string;
    orderId: string | null;
    outTradeNo: string | null;
    kind: string;
    source: EventSource;
    facts: Record<string, unknown>;
  },
): Promise<SettleOutcome> {
  await r.events.anomaly(a);
  if (a.orderId) await r.events.record(a.orderId, "anomaly", a.source, { kind: a.kind, ...a.facts });
  deps.logger.warn(
    { orderId: a.orderId, outTradeNo: a.outTradeNo, kind: a.kind, source: a.source },
    "payment anomaly flagged",
  );
  return { result: "anomaly", orderId: a.orderId, anomaly: a.kind };
}

export async function settle(
  deps: ServiceDeps,
  merchant: MerchantIdentity,
  facts: TradeFacts,
  source: EventSource,
  /** Runs in the same transaction when the facts moved the order (the admin's audit row). */
  onApplied?: (r: Repos, outcome: Extract<SettleOutcome, { result: "applied" }>) => Promise<void>,
  /** Runs in the same transaction whatever the outcome (the notify_log row commits with it). */
  onOutcome?: (r: Repos, outcome: SettleOutcome) => Promise<void>,
): Promise<SettleOutcome> {
  return deps.db.transaction(async (r) => {
    const outcome = await apply(r);
    if (onApplied && outcome.result === "applied") await onApplied(r, outcome);
    if (onOutcome) await onOutcome(r, outcome);
    return outcome;
  });

  async function apply(r: Repos): Promise<SettleOutcome> {
    const anomaly = (orderId: string | null, kind: string, extra: Record<string, unknown> = {}) =>
      flagAnomaly(deps, r, {
        merchantId: merchant.id,
        orderId,
        outTradeNo: facts.outTradeNo,
        kind,
        source,
        facts: { ...factsForLog(facts), ...extra },
      });

    if (facts.mchid !== merchant.mchid) return anomaly(null, "wrong_merchant");
    const order = await r.orders.lockByOutTradeNo(merchant.id, facts.outTradeNo);
    if (facts.appid !== merchant.appid) {
      // The merchant may have moved to another mini-program since: the appid the number was
      // prepaid for is as good as the current one, and no other is.
      const number =
        order && (await r.tradeNumbers.forOrder(order.id)).find((n) => n.outTradeNo === facts.outTradeNo);
      if (!number || number.appid !== facts.appid) return anomaly(null, "wrong_merchant");
    }
    if (!order) return anomaly(null, "unknown_order");

    const decision = decideSettlement(
      { state: order.state, totalFen: order.totalFen },
      { tradeState: facts.tradeState, totalFen: facts.totalFen, currency: facts.currency },
    );
    if (decision.kind === "anomaly") return anomaly(order.id, decision.anomaly);
    if (decision.kind === "transition" && decision.to === "closed") {
      // A number we closed because the shopper switched method says nothing about the order,
      // which is still payable under its open number.
      const numbers = await r.tradeNumbers.forOrder(order.id);
      const mine = numbers.find((n) => n.outTradeNo === facts.outTradeNo);
      const replaced = (n: { closedAt: Date | null; closingAt: Date | null }) =>
        !!(n.closedAt || n.closingAt);
      if (mine && replaced(mine) && numbers.some((n) => !replaced(n)))
        return { result: "noop", orderId: order.id, state: order.state, why: "superseded_number" };
    }
    if (decision.kind === "noop") {
      if (
        decision.why === "already" &&
        facts.transactionId &&
        order.transactionId &&
        facts.transactionId !== order.transactionId
      ) {
        // Same order paid twice under different transactions: money to give back.
        return anomaly(order.id, "duplicate_payment");
      }
      return { result: "noop", orderId: order.id, state: order.state, why: decision.why };
    }
    if (decision.to === "paid" && facts.transactionId) {
      // WeChat's transaction ids are unique; one already on another order is a fact we must not write over.
      const holder = await r.orders.byTransactionId(facts.transactionId);
      if (holder && holder.id !== order.id) return anomaly(order.id, "duplicate_transaction_id");
    }
    const moved = await transition(
      r,
      order,
      decision.to,
      source,
      { tradeState: facts.tradeState, transactionId: facts.transactionId },
      decision.to === "paid"
        ? { paidAt: facts.successTime ?? deps.now(), transactionId: facts.transactionId }
        : {},
    );
    if (!moved) return { result: "noop", orderId: order.id, state: order.state, why: "raced" };
    if (decision.to === "closed" && !order.stockReleased) await releaseStock(r, order.id);
    if (decision.anomaly === "paid_after_close") {
      // The order's stock went back when it closed; the shopper paid anyway. Take the units
      // again if they are there; otherwise the merchant must refund or fulfil from elsewhere.
      if (!order.stockReleased || (await r.products.retakeForOrder(order.id))) {
        if (order.stockReleased) await r.orders.markStockHeld(order.id);
        await anomaly(order.id, "paid_after_close", { stock: "held again", action: "fulfil" });
      } else {
        await anomaly(order.id, "paid_after_close_out_of_stock", {
          stock: "not available",
          action: "paid, out of stock: refund or fulfil from elsewhere",
        });
      }
    } else if (decision.anomaly) await anomaly(order.id, decision.anomaly);
    return {
      result: "applied",
      orderId: order.id,
      from: order.state,
      to: decision.to,
      anomaly: decision.anomaly,
    };
  }
}
