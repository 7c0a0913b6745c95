/**
 * The order state machine: one table of allowed transitions. Every state change in the system is
 * checked here (services/transition.ts applies it and writes the event row in the same transaction).
 */
import { isPaid, type OrderState } from "@minipay/shared";

export const TRANSITIONS: Readonly<Record<OrderState, readonly OrderState[]>> = {
  created: ["paying", "paid", "closed", "expired", "failed"],
  paying: ["paid", "closed", "expired", "failed"],
  // Money arrived after we gave up on the order: WeChat's SUCCESS is the truth, so the order becomes
  // paid and an anomaly is flagged for the merchant (refund or fulfil).
  closed: ["paid"],
  expired: ["paid"],
  failed: ["paid"],
  paid: ["refunding", "partially_refunded", "refunded"],
  refunding: ["paid", "partially_refunded", "refunded"],
  partially_refunded: ["refunding", "refunded"],
  refunded: [],
};

export function canTransition(from: OrderState, to: OrderState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** A programming error, never a client's: the caller asked for a move the table forbids. */
export class IllegalTransitionError extends Error {
  constructor(
    readonly from: OrderState,
    readonly to: OrderState,
  ) {
    super(`illegal transition ${from} → ${to}`);
    this.name = "IllegalTransitionError";
  }
}

export function assertTransition(from: OrderState, to: OrderState): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}

/** What WeChat's trade_state means for our order, or null for "nothing to do". */
export function targetStateFor(tradeState: string): OrderState | null {
  switch (tradeState) {
    case "SUCCESS":
    case "REFUND": // refunded later means it was paid first
      return "paid";
    case "CLOSED":
    case "REVOKED":
      return "closed";
    default:
      // NOTPAY, USERPAYING, PAYERROR, ACCEPT: the shopper may still pay this out_trade_no.
      return null;
  }
}

export type SettleDecision =
  | { kind: "transition"; to: OrderState; anomaly?: "paid_after_close" }
  | { kind: "noop"; why: "already" | "pending" | "not_allowed" }
  | { kind: "anomaly"; anomaly: "amount_mismatch" | "currency_mismatch" | "missing_amount" };

/**
 * The pure heart of "apply WeChat's truth": given our order and WeChat's facts, what happens.
 * Amount and currency are compared before anything moves.
 */
export function decideSettlement(
  order: { state: OrderState; totalFen: number },
  facts: { tradeState: string; totalFen: number | null; currency: string | null },
): SettleDecision {
  const to = targetStateFor(facts.tradeState);
  if (to === null) return { kind: "noop", why: "pending" };
  if (to === "paid") {
    if (facts.totalFen === null) return { kind: "anomaly", anomaly: "missing_amount" };
    if (facts.totalFen !== order.totalFen) return { kind: "anomaly", anomaly: "amount_mismatch" };
    if (facts.currency !== null && facts.currency !== "CNY")
      return { kind: "anomaly", anomaly: "currency_mismatch" };
    if (isPaid(order.state)) return { kind: "noop", why: "already" };
    if (!canTransition(order.state, "paid")) return { kind: "noop", why: "not_allowed" };
    const late = order.state === "closed" || order.state === "expired" || order.state === "failed";
    return late ? { kind: "transition", to, anomaly: "paid_after_close" } : { kind: "transition", to };
  }
  if (order.state === to) return { kind: "noop", why: "already" };
  if (!canTransition(order.state, to)) return { kind: "noop", why: "not_allowed" };
  return { kind: "transition", to };
}
