/**
 * The error faults every faultable endpoint shares (prepay, query, close, refund): one rule
 * look-up, one use of its `times`, and the `timeout` hold. Each API version renders the result.
 */
import type { SandboxContext } from "./context";

export type FaultAction = "prepay_error" | "query_error" | "close_error" | "refund_error";
/** What to answer instead of the real result; null = answer normally (possibly after a hold). */
export type WireFault = "SYSTEMERROR" | "http_500" | null;

export async function wireFault(
  c: SandboxContext,
  action: FaultAction,
  match: { mchid: string; outTradeNo: string },
): Promise<WireFault> {
  const rule = c.scenarios.take(action, match);
  if (!rule) return null;
  if (rule.mode === "http_500") return "http_500";
  if (rule.mode !== "timeout") return "SYSTEMERROR";
  // timeout: say nothing for a while, then answer as if the request had only been slow.
  await c.holds.wait(rule.ms ?? c.timeoutMs);
  return null;
}

/** How one API version says each fault; an error is made only when its fault fires. */
export type FaultErrors = Record<NonNullable<WireFault>, () => Error>;

/** A version's applyFault: throws that version's error when a rule fires for the merchant's order. */
export function faultThrower(errors: FaultErrors) {
  return async (c: SandboxContext, action: FaultAction, m: { mchid: string }, outTradeNo: string) => {
    const f = await wireFault(c, action, { mchid: m.mchid, outTradeNo });
    if (f) throw errors[f]();
  };
}
