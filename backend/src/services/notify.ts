/**
 * Inbound WeChat payment notifies: the merchant is known from the URL before anything is read;
 * authenticate and decode with that merchant's keys (services/notify-intake.ts: refused → one
 * generic 4xx, impossible facts → anomaly and acknowledged), apply through settle, and answer
 * exactly as WeChat expects.
 * - Genuine and recorded (applied, duplicate or anomaly): acknowledged; the notify_log row commits
 *   with what was recorded (services/notify-settle.ts).
 * - Not recorded (database down): a 5xx, so WeChat retries.
 */
import type { InboundNotify, NotifyAck, PaymentGateway } from "../wechat/types";
import type { MerchantIdentity, ServiceDeps } from "./deps";
import { notifyLogFor, notRecorded, readNotify } from "./notify-intake";
import { settleNotify } from "./notify-settle";

export interface NotifiedMerchant extends MerchantIdentity {
  gateway: PaymentGateway;
}

export class NotifyService {
  constructor(private readonly deps: ServiceDeps) {}

  async handlePayment(m: NotifiedMerchant, version: "v2" | "v3", n: InboundNotify): Promise<NotifyAck> {
    const gw = m.gateway;
    const { logger } = this.deps;
    const read = await readNotify(this.deps, m, version, {
      what: "notify",
      anomalyKind: "invalid_notify_facts",
      log: notifyLogFor(this.deps, m.id, version, "pay"),
      parse: () => gw.parsePaymentNotify(n),
    });
    if ("answer" in read) return read.answer;
    const { facts, signType } = read.parsed;
    try {
      // The notify_log row commits with the outcome (services/notify-settle.ts).
      await settleNotify(this.deps, m, facts, version, signType);
      return gw.notifyAck(true);
    } catch (err) {
      notRecorded(logger, "notify not recorded", { outTradeNo: facts.outTradeNo }, err);
    }
  }
}
