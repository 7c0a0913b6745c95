/**
 * Inbound WeChat refund notifies (v2 at /notify/wechat/{merchant}/v2/refund with an AES-256-ECB
 * req_info; v3 at the refund URL or the pay URL, told apart by event_type). Same rules as payment
 * notifies (services/notify.ts): not genuine → one generic 4xx; genuine with impossible facts →
 * anomaly and acknowledged; recorded → acknowledged; not recorded → 5xx (503 when the database is
 * down) so WeChat sends it again.
 * What they say is applied through applyRefundFacts, like the create call's answer and the job's.
 */
import type { InboundNotify, NotifyAck, PaymentGateway } from "../wechat/types";
import type { MerchantIdentity, ServiceDeps } from "./deps";
import { notifyLogFor, notRecorded, readNotify } from "./notify-intake";
import { applyRefundFacts } from "./refunds";

export interface RefundNotifiedMerchant extends MerchantIdentity {
  gateway: PaymentGateway;
}

/** v3 notifies name what they are about in the (signed) envelope: REFUND.SUCCESS / ABNORMAL / CLOSED. */
export function isV3RefundEvent(rawBody: Buffer): boolean {
  try {
    const env = JSON.parse(rawBody.toString("utf8")) as { event_type?: unknown };
    return typeof env.event_type === "string" && env.event_type.startsWith("REFUND.");
  } catch {
    return false;
  }
}

export class RefundNotifyService {
  constructor(private readonly deps: ServiceDeps) {}

  async handle(m: RefundNotifiedMerchant, version: "v2" | "v3", n: InboundNotify): Promise<NotifyAck> {
    const gw = m.gateway;
    const { logger } = this.deps;
    const log = notifyLogFor(this.deps, m.id, version, "refund");
    const read = await readNotify(this.deps, m, version, {
      what: "refund notify",
      anomalyKind: "invalid_refund_notify_facts",
      log,
      parse: () => gw.parseRefundNotify(n),
    });
    if ("answer" in read) return read.answer;
    const { facts, signType } = read.parsed;
    try {
      const outcome = await applyRefundFacts(this.deps, m, facts, "notify");
      await log(
        outcome.result,
        facts.outTradeNo,
        outcome.result === "anomaly" ? outcome.anomaly : outcome.result === "noop" ? outcome.why : null,
        signType,
      );
      return gw.notifyAck(true);
    } catch (err) {
      notRecorded(logger, "refund notify not recorded", { outRefundNo: facts.outRefundNo }, err);
    }
  }
}
