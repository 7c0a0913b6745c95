/** Picks the gateway for a merchant's API version. One instance per merchant, no singletons. */
import type { Clock, MerchantCredentials, PaymentGateway } from "./types";
import { V2Gateway } from "./v2/gateway";
import { V3Gateway } from "./v3/gateway";

export function createGateway(
  creds: MerchantCredentials,
  opts: { timeoutMs?: number; clock?: Clock; retries?: number } = {},
): PaymentGateway {
  const o = {
    timeoutMs: opts.timeoutMs ?? 5000,
    clock: opts.clock ?? (() => new Date()),
    retries: opts.retries ?? 2,
  };
  return creds.apiVersion === "v2" ? new V2Gateway(creds, o) : new V3Gateway(creds, o);
}
