/**
 * Inbound WeChat payment notifies: the merchant is known from the URL before anything is read;
 * authenticate and decode with that merchant's keys, apply through settle, and answer exactly as
 * WeChat expects.
 * - Not genuine (bad signature, probe, skew…): a 4xx with one generic answer; which check failed is
 *   only in our log and notify_log, so a forger learns nothing.
 * - Genuine but with impossible facts (NUL bytes, dates that do not exist…): recorded as an anomaly
 *   and acknowledged. A 5xx would make WeChat resend it for 24 h and nothing would ever change.
 * - Genuine and recorded (applied, duplicate or anomaly): acknowledged; the notify_log row commits
 *   with what was recorded (services/notify-settle.ts).
 * - Not recorded (database down): a 5xx, so WeChat retries.
 */
import { NotifyFactsInvalidError, NotifyRejectedError } from "../wechat/errors";
import type { InboundNotify, NotifyAck, PaymentGateway } from "../wechat/types";
import type { MerchantIdentity, ServiceDeps } from "./deps";
import { settleNotify } from "./notify-settle";
import { flagAnomaly } from "./settle";

export interface NotifiedMerchant extends MerchantIdentity {
  gateway: PaymentGateway;
}

/** The one answer every refused notify gets. */
const REFUSED = "notification refused";

export class NotifyService {
  constructor(private readonly deps: ServiceDeps) {}

  async handlePayment(m: NotifiedMerchant, version: "v2" | "v3", n: InboundNotify): Promise<NotifyAck> {
    const gw = m.gateway;
    const { db, logger } = this.deps;
    const log = (
      outcome: string,
      outTradeNo: string | null,
      reason: string | null,
      signType: string | null = null,
    ) =>
      db.repos.notifyLog
        .insert({ merchantId: m.id, apiVersion: version, kind: "pay", outTradeNo, outcome, reason, signType })
        .catch((err: Error) => logger.error({ err: err.message }, "notify_log write failed"));

    if (version !== gw.apiVersion) {
      await log("rejected", null, "wrong_api_version");
      return { ...gw.notifyAck(false, REFUSED), status: 404 };
    }
    let parsed;
    try {
      parsed = await gw.parsePaymentNotify(n);
    } catch (err) {
      if (err instanceof NotifyRejectedError) {
        logger.warn({ reason: err.reason, version, merchant: m.id }, "notify rejected");
        await log("rejected", null, err.reason);
        return { ...gw.notifyAck(false, REFUSED), status: err.reason === "malformed" ? 400 : 401 };
      }
      if (err instanceof NotifyFactsInvalidError) {
        logger.warn(
          { reason: err.reason, field: err.field, merchant: m.id },
          "genuine notify with invalid facts",
        );
        try {
          await db.transaction((r) =>
            flagAnomaly(this.deps, r, {
              merchantId: m.id,
              orderId: null,
              outTradeNo: null,
              kind: "invalid_notify_facts",
              source: "notify",
              facts: { field: err.field, reason: err.reason, apiVersion: version },
            }),
          );
        } catch (dbErr) {
          logger.error({ err: (dbErr as Error).message }, "notify anomaly not recorded");
          return { ...gw.notifyAck(false, "not recorded"), status: 500 };
        }
        await log("anomaly", null, `invalid_facts:${err.field}:${err.reason}`);
        return gw.notifyAck(true);
      }
      logger.error({ err: (err as Error)?.message }, "notify could not be parsed");
      await log("rejected", null, "error");
      return { ...gw.notifyAck(false, REFUSED), status: 400 };
    }
    const { facts, signType } = parsed;
    try {
      // The notify_log row commits with the outcome (services/notify-settle.ts).
      await settleNotify(this.deps, m, facts, version, signType);
      return gw.notifyAck(true);
    } catch (err) {
      logger.error({ err: (err as Error)?.message, outTradeNo: facts.outTradeNo }, "notify not recorded");
      return { ...gw.notifyAck(false, "not recorded"), status: 500 };
    }
  }
}
