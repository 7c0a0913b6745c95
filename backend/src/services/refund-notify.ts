/**
 * Inbound WeChat refund notifies (v2 at /notify/wechat/{merchant}/v2/refund with an AES-256-ECB
 * req_info; v3 at the refund URL or the pay URL, told apart by event_type). Same rules as payment
 * notifies (services/notify.ts): not genuine → one generic 4xx; genuine with impossible facts →
 * anomaly and acknowledged; recorded → acknowledged; not recorded → 5xx so WeChat sends it again.
 * What they say is applied through applyRefundFacts, like the create call's answer and the job's.
 */
import { NotifyFactsInvalidError, NotifyRejectedError } from "../wechat/errors";
import type { InboundNotify, NotifyAck, PaymentGateway } from "../wechat/types";
import type { MerchantIdentity, ServiceDeps } from "./deps";
import { applyRefundFacts } from "./refunds";
import { flagAnomaly } from "./settle";

export interface RefundNotifiedMerchant extends MerchantIdentity {
  gateway: PaymentGateway;
}

const REFUSED = "notification refused";

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
    const { db, logger } = this.deps;
    const log = (
      outcome: string,
      outTradeNo: string | null,
      reason: string | null,
      signType: string | null = null,
    ) =>
      db.repos.notifyLog
        .insert({
          merchantId: m.id,
          apiVersion: version,
          kind: "refund",
          outTradeNo,
          outcome,
          reason,
          signType,
        })
        .catch((err: Error) => logger.error({ err: err.message }, "notify_log write failed"));

    if (version !== gw.apiVersion) {
      await log("rejected", null, "wrong_api_version");
      return { ...gw.notifyAck(false, REFUSED), status: 404 };
    }
    let parsed;
    try {
      parsed = await gw.parseRefundNotify(n);
    } catch (err) {
      if (err instanceof NotifyRejectedError) {
        logger.warn({ reason: err.reason, version, merchant: m.id }, "refund notify rejected");
        await log("rejected", null, err.reason);
        return { ...gw.notifyAck(false, REFUSED), status: err.reason === "malformed" ? 400 : 401 };
      }
      if (err instanceof NotifyFactsInvalidError) {
        logger.warn(
          { reason: err.reason, field: err.field, merchant: m.id },
          "genuine refund notify, invalid facts",
        );
        try {
          await db.transaction((r) =>
            flagAnomaly(this.deps, r, {
              merchantId: m.id,
              orderId: null,
              outTradeNo: null,
              kind: "invalid_refund_notify_facts",
              source: "notify",
              facts: { field: err.field, reason: err.reason, apiVersion: version },
            }),
          );
        } catch (dbErr) {
          logger.error({ err: (dbErr as Error).message }, "refund notify anomaly not recorded");
          return { ...gw.notifyAck(false, "not recorded"), status: 500 };
        }
        await log("anomaly", null, `invalid_facts:${err.field}:${err.reason}`);
        return gw.notifyAck(true);
      }
      logger.error({ err: (err as Error)?.message }, "refund notify could not be parsed");
      await log("rejected", null, "error");
      return { ...gw.notifyAck(false, REFUSED), status: 400 };
    }
    const { facts, signType } = parsed;
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
      logger.error(
        { err: (err as Error)?.message, outRefundNo: facts.outRefundNo },
        "refund notify not recorded",
      );
      return { ...gw.notifyAck(false, "not recorded"), status: 500 };
    }
  }
}
