/**
 * Inbound WeChat payment notifies: authenticate and decode through the gateway, apply through
 * settle, and answer exactly as WeChat expects. Failure answers (so WeChat retries) only when the
 * notify is not genuine or we could not record it.
 */
import { NotifyRejectedError } from "../wechat/errors";
import type { InboundNotify, NotifyAck, PaymentGateway } from "../wechat/types";
import type { ServiceDeps } from "./deps";
import { settle, type MerchantIdentity } from "./settle";

export class NotifyService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly gateway: () => PaymentGateway,
    private readonly merchant: () => MerchantIdentity,
  ) {}

  async handlePayment(version: "v2" | "v3", n: InboundNotify): Promise<NotifyAck> {
    const gw = this.gateway();
    const m = this.merchant();
    const log = (outcome: string, outTradeNo: string | null, reason: string | null) =>
      this.deps.ds
        .query(
          `INSERT INTO notify_log (merchant_id, api_version, kind, out_trade_no, outcome, reason) VALUES ($1,$2,'pay',$3,$4,$5)`,
          [m.id, version, outTradeNo, outcome, reason],
        )
        .catch((err: Error) => this.deps.logger.error({ err: err.message }, "notify_log write failed"));

    if (version !== gw.apiVersion) {
      await log("rejected", null, "wrong_api_version");
      return { ...gw.notifyAck(false, "wrong endpoint for this merchant"), status: 404 };
    }
    let facts;
    try {
      ({ facts } = await gw.parsePaymentNotify(n));
    } catch (err) {
      if (err instanceof NotifyRejectedError) {
        this.deps.logger.warn({ reason: err.reason, version }, "notify rejected");
        await log("rejected", null, err.reason);
        // Not genuine (or not readable): a 4xx, so WeChat's real delivery is retried and a forger learns nothing.
        return { ...gw.notifyAck(false, err.reason), status: err.reason === "malformed" ? 400 : 401 };
      }
      this.deps.logger.error({ err: (err as Error)?.message }, "notify could not be parsed");
      await log("rejected", null, "error");
      return { ...gw.notifyAck(false, "error"), status: 400 };
    }
    try {
      const outcome = await settle(this.deps, m, facts, "notify");
      await log(outcome.result, facts.outTradeNo, outcome.result === "anomaly" ? outcome.anomaly : null);
      // Recorded (applied, duplicate or flagged anomaly): WeChat may stop sending.
      return gw.notifyAck(true);
    } catch (err) {
      this.deps.logger.error(
        { err: (err as Error)?.message, outTradeNo: facts.outTradeNo },
        "notify not recorded",
      );
      return { ...gw.notifyAck(false, "not recorded"), status: 500 };
    }
  }
}
