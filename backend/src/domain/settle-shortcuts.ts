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
