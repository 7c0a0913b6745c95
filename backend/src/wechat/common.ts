/** Pieces both API versions share: gateway options, time, WeChat error codes, trade states. */
import { WechatUpstreamError } from "./errors";
import { oneOf } from "./facts";
import type { Clock, TradeState } from "./types";

export interface GatewayOptions {
  timeoutMs: number;
  clock: Clock;
  /** Extra attempts for calls that are safe to repeat. */
  retries: number;
}

/** Unix time in whole seconds, as a string: what every WeChat timestamp field wants. */
export function epochSeconds(clock: Clock): string {
  return String(Math.floor(clock().getTime() / 1000));
}

/** True when WeChat answered with one of these error codes (v2 err_code or v3 code). */
export function isWechatCode(err: unknown, ...codes: string[]): err is WechatUpstreamError {
  return err instanceof WechatUpstreamError && err.wechatCode !== null && codes.includes(err.wechatCode);
}

/** Run fn; a WeChat "does not exist" answer (one of codes) becomes null. */
export async function orNullOn<T>(codes: string[], fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (err) {
    if (isWechatCode(err, ...codes)) return null;
    throw err;
  }
}

export const TRADE_STATES: readonly TradeState[] = [
  "SUCCESS",
  "REFUND",
  "NOTPAY",
  "CLOSED",
  "REVOKED",
  "USERPAYING",
  "PAYERROR",
  "ACCEPT",
];

/** WeChat's trade_state, refusing values we do not know rather than guessing one. */
export function parseTradeState(raw: unknown, field = "trade_state"): TradeState {
  return oneOf(TRADE_STATES, raw, field);
}
