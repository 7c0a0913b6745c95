/**
 * Which order states the one-round-trip notify settle may handle on its own, derived from
 * decideSettlement (and so from the transition table) rather than listed a second time. Any order
 * in another state, or any notify with other facts, goes through the full settle path.
 */
import { ORDER_STATES, type OrderState } from "@minipay/shared";
import { decideSettlement } from "./order-machine";

/** A SUCCESS with the right amount moves these to `paid` with no anomaly to flag. */
export const PAID_CLEANLY_FROM: readonly OrderState[] = ORDER_STATES.filter((state) => {
  const d = decideSettlement({ state, totalFen: 1 }, { tradeState: "SUCCESS", totalFen: 1, currency: "CNY" });
  return d.kind === "transition" && d.to === "paid" && !d.anomaly;
});

/**
 * In these a SUCCESS with the right amount changes nothing ("already"); with the same transaction
 * id it is a plain duplicate, which needs no row lock to answer.
 */
export const ALREADY_PAID_IN: readonly OrderState[] = ORDER_STATES.filter((state) => {
  const d = decideSettlement({ state, totalFen: 1 }, { tradeState: "SUCCESS", totalFen: 1, currency: "CNY" });
  return d.kind === "noop" && d.why === "already";
});

/** What the shortcuts below look at: the order as read, and WeChat's facts about it. */
type RecordedOrder = { state: OrderState; totalFen: number; transactionId: string | null };
type ReportedFacts = {
  tradeState: string;
  totalFen: number | null;
  currency: string | null;
  transactionId: string | null;
};

/**
 * WeChat's facts say what an order read earlier already records: paid under this very transaction
 * for its amount. Then settling changes nothing now or later (no state leaves ALREADY_PAID_IN and
 * the transaction id never changes), so a caller may skip the locked settle. Anything else,
 * including another transaction id on a paid order (a duplicate payment), goes through settle.
 */
export function alreadyRecorded(order: RecordedOrder, facts: ReportedFacts): boolean {
  return (
    facts.tradeState === "SUCCESS" &&
    facts.transactionId !== null &&
    facts.transactionId === order.transactionId &&
    facts.totalFen === order.totalFen &&
    (facts.currency ?? "CNY") === "CNY" &&
    ALREADY_PAID_IN.includes(order.state)
  );
}

/**
 * Settling these facts on this order would change nothing, whatever the order's state is by the
 * time a lock is taken: facts with no state to move to (NOTPAY, USERPAYING), or what the order
 * already records (alreadyRecorded). Callers may then skip the locked settle.
 */
export function settlesNothing(order: RecordedOrder, facts: ReportedFacts): boolean {
  const d = decideSettlement(order, facts);
  if (d.kind !== "noop") return false;
  // "pending" is decided from the facts alone (before the order's state is looked at).
  return d.why === "pending" || alreadyRecorded(order, facts);
}
