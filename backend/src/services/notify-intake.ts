/**
 * The part pay and refund notifies share: the merchant's API version checked, the notify
 * authenticated and decoded with that merchant's keys, and the two ways that can end early.
 * - Not genuine (bad signature, probe, skew…): one generic 4xx; which check failed is only in our
 *   log and notify_log, so a forger learns nothing.
 * - Genuine but with impossible facts (NUL bytes, dates that do not exist…): an anomaly, then
 *   acknowledged; a 5xx would make WeChat resend it for 24 h and nothing would ever change. If the
 *   anomaly cannot be recorded, a 5xx so WeChat sends it again.
 */
import { NotifyFactsInvalidError, NotifyRejectedError } from "../wechat/errors";
import type { ParsedNotify } from "../wechat/ports";
import type { NotifyAck, PaymentGateway } from "../wechat/types";
import type { MerchantIdentity, ServiceDeps } from "./deps";
import { flagAnomaly } from "./settle";

/** The one answer every refused notify gets. */
export const REFUSED = "notification refused";

export type NotifyLogWrite = (
  outcome: string,
  outTradeNo: string | null,
  reason: string | null,
  signType?: string | null,
) => Promise<void>;

/** A notify_log writer for one merchant and kind; a failed write is logged, never thrown. */
export function notifyLogFor(
  deps: ServiceDeps,
  merchantId: string,
  apiVersion: "v2" | "v3",
  kind: "pay" | "refund",
): NotifyLogWrite {
  return (outcome, outTradeNo, reason, signType = null) =>
    deps.db.repos.notifyLog
      .insert({ merchantId, apiVersion, kind, outTradeNo, outcome, reason, signType })
      .catch((err: Error) => deps.logger.error({ err: err.message }, "notify_log write failed"));
}

/** The decoded notify, or the answer to send now because it was refused or recorded as an anomaly. */
export async function readNotify<T>(
  deps: ServiceDeps,
  m: MerchantIdentity & { gateway: PaymentGateway },
  version: "v2" | "v3",
  o: { what: string; anomalyKind: string; log: NotifyLogWrite; parse: () => Promise<ParsedNotify<T>> },
): Promise<{ parsed: ParsedNotify<T> } | { answer: NotifyAck }> {
  const gw = m.gateway;
  const { logger } = deps;
  if (version !== gw.apiVersion) {
    await o.log("rejected", null, "wrong_api_version");
    return { answer: { ...gw.notifyAck(false, REFUSED), status: 404 } };
  }
  try {
    return { parsed: await o.parse() };
  } catch (err) {
    if (err instanceof NotifyRejectedError) {
      logger.warn({ reason: err.reason, version, merchant: m.id }, `${o.what} rejected`);
      await o.log("rejected", null, err.reason);
      return {
        answer: { ...gw.notifyAck(false, REFUSED), status: err.reason === "malformed" ? 400 : 401 },
      };
    }
    if (err instanceof NotifyFactsInvalidError) {
      logger.warn(
        { reason: err.reason, field: err.field, merchant: m.id },
        `genuine ${o.what}, invalid facts`,
      );
      try {
        await deps.db.transaction((r) =>
          flagAnomaly(deps, r, {
            merchantId: m.id,
            orderId: null,
            outTradeNo: null,
            kind: o.anomalyKind,
            source: "notify",
            facts: { field: err.field, reason: err.reason, apiVersion: version },
          }),
        );
      } catch (dbErr) {
        notRecorded(logger, `${o.what} anomaly not recorded`, {}, dbErr);
      }
      await o.log("anomaly", null, `invalid_facts:${err.field}:${err.reason}`);
      return { answer: gw.notifyAck(true) };
    }
    logger.error({ err: (err as Error)?.message }, `${o.what} could not be parsed`);
    await o.log("rejected", null, "error");
    return { answer: { ...gw.notifyAck(false, REFUSED), status: 400 } };
  }
}

/**
 * A genuine notify whose outcome could not be stored: log it and let the error through. The HTTP
 * layer answers in WeChat's FAIL shape (http/middleware/notify-errors.ts): 503 with Retry-After
 * when the database is unreachable, 500 otherwise; either way WeChat sends the notify again.
 */
export function notRecorded(
  logger: ServiceDeps["logger"],
  msg: string,
  context: Record<string, unknown>,
  err: unknown,
): never {
  logger.error({ ...context, err: (err as Error)?.message }, msg);
  throw err;
}
