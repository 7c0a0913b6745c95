/**
 * Settling a payment notify with as few round trips as PostgreSQL allows
 * (docs/notify-performance.md). The common cases, a first SUCCESS for a payable order and a
 * duplicate of one already applied, take one statement that also writes the notify_log row.
 * Everything else (another merchant's or app's facts, a wrong amount, a late payment, a
 * transaction id already used, an unknown order…) goes through `settle`, unchanged, with the
 * notify_log row in the same transaction. Either way the row and the outcome commit together.
 */
import { decideSettlement } from "../domain/order-machine";
import { PAID_CLEANLY_FROM } from "../domain/settle-shortcuts";
import type { TradeFacts } from "../wechat/types";
import type { MerchantIdentity, ServiceDeps } from "./deps";
import { settle, type SettleOutcome } from "./settle";
import { transitionPaidFromNotify } from "./transition";

export async function settleNotify(
  deps: ServiceDeps,
  m: MerchantIdentity,
  facts: TradeFacts,
  version: "v2" | "v3",
  signType: string | null,
): Promise<SettleOutcome> {
  if (shortcutApplies(m, facts)) {
    const out = await transitionPaidFromNotify(deps.db.repos, {
      merchantId: m.id,
      outTradeNo: facts.outTradeNo,
      transactionId: facts.transactionId!,
      totalFen: facts.totalFen!,
      paidAt: facts.successTime ?? deps.now(),
      source: "notify",
      eventData: { tradeState: facts.tradeState, transactionId: facts.transactionId },
      apiVersion: version,
      signType,
    });
    if (out.result === "applied")
      return { result: "applied", orderId: out.orderId, from: out.from, to: "paid" };
    if (out.result === "duplicate")
      return { result: "noop", orderId: out.orderId, state: out.state, why: "already" };
  }
  return settle(deps, m, facts, "notify", undefined, (r, outcome) =>
    r.notifyLog.insert({
      merchantId: m.id,
      apiVersion: version,
      kind: "pay",
      outTradeNo: facts.outTradeNo,
      outcome: outcome.result,
      reason: outcome.result === "anomaly" ? outcome.anomaly : null,
      signType,
    }),
  );
}

/**
 * Facts the shortcut may carry: this merchant's own ids (the full path decides anything else about
 * appid and mchid), a transaction id, and an amount and currency that would pay an order of that
 * amount cleanly; the order's own amount and state are checked in the statement.
 */
function shortcutApplies(m: MerchantIdentity, f: TradeFacts): boolean {
  if (f.mchid !== m.mchid || f.appid !== m.appid || !f.transactionId || f.totalFen === null) return false;
  const d = decideSettlement({ state: PAID_CLEANLY_FROM[0]!, totalFen: f.totalFen }, f);
  return d.kind === "transition" && d.to === "paid" && !d.anomaly;
}
