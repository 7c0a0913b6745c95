/** The WeChat order numbers of an order still open at WeChat (its own number when none is recorded). */
import type { OrderRecord } from "../db/repositories";
import type { ServiceDeps } from "./deps";

export async function openTradeNumbers(deps: Pick<ServiceDeps, "db">, o: OrderRecord): Promise<string[]> {
  const numbers = await deps.db.repos.tradeNumbers.forOrder(o.id);
  if (numbers.length === 0) return [o.outTradeNo];
  return numbers.filter((n) => !n.closedAt).map((n) => n.outTradeNo);
}

/** Every WeChat number an order has used, open or closed. */
export async function allTradeNumbers(deps: Pick<ServiceDeps, "db">, o: OrderRecord): Promise<string[]> {
  const numbers = await deps.db.repos.tradeNumbers.forOrder(o.id);
  return numbers.length ? numbers.map((n) => n.outTradeNo) : [o.outTradeNo];
}
