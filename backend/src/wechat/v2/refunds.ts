/** APIv2 refunds: /secapi/pay/refund (mutual TLS) and refundquery. */
import { orNullOn } from "../common";
import { ClientCertificateMissingError } from "../errors";
import * as f from "../facts";
import type { Refunds } from "../ports";
import type { RefundFacts, RefundRequest, RefundStatus } from "../types";
import type { V2Client } from "./client";

const V2_REFUND_STATUS = ["SUCCESS", "REFUNDCLOSE", "PROCESSING", "CHANGE"] as const;

/** v2 names a closed refund REFUNDCLOSE; everything else matches the v3 names. */
export function refundStatusFromV2(raw: unknown, field: string): RefundStatus {
  const s = f.oneOf(V2_REFUND_STATUS, raw, field);
  return s === "REFUNDCLOSE" ? "CLOSED" : s;
}

/**
 * One refund as v2 states it. Query answers number their refunds (`out_refund_no_0`…); `n` picks
 * one. The notify plaintext and the refund answer are flat.
 */
export function refundFactsFromV2(x: Record<string, string>, n?: number): RefundFacts {
  f.assertNoControlChars(x);
  const k = (name: string) => (n === undefined ? name : `${name}_${n}`);
  return {
    outTradeNo: f.outTradeNo(x.out_trade_no),
    outRefundNo: f.outRefundNo(x[k("out_refund_no")], k("out_refund_no")),
    refundId: f.refundId(x[k("refund_id")], k("refund_id")),
    status:
      x[k("refund_status")] === undefined
        ? "PROCESSING"
        : refundStatusFromV2(x[k("refund_status")], k("refund_status")),
    refundFen: f.amount(x[k("refund_fee")], k("refund_fee"), true),
    totalFen: f.amount(x.total_fee, "total_fee", true),
    successTime: f.v2DateTime(
      n === undefined ? x.success_time : x[k("refund_success_time")],
      n === undefined ? "success_time" : k("refund_success_time"),
    ),
  };
}

export class V2Refunds implements Refunds {
  constructor(private readonly c: V2Client) {}

  async refund(req: RefundRequest): Promise<RefundFacts> {
    if (!this.c.hasClientCert) throw new ClientCertificateMissingError("refund");
    // Retried with the same out_refund_no: WeChat refunds one out_refund_no once.
    const x = await this.c.call(
      "refund",
      "POST",
      "/secapi/pay/refund",
      {
        out_trade_no: req.outTradeNo,
        out_refund_no: req.outRefundNo,
        total_fee: req.totalFen,
        refund_fee: req.refundFen,
        refund_desc: req.reason,
        notify_url: req.notifyUrl,
      },
      { tls: true },
    );
    // The answer only means "accepted"; the outcome comes by notify or refundquery.
    return { ...refundFactsFromV2(x), status: "PROCESSING" };
  }

  /** Retried like every query: asking again changes nothing at WeChat. */
  queryRefund(outRefundNo: string): Promise<RefundFacts | null> {
    return orNullOn(["REFUNDNOTEXIST"], async () => {
      const x = await this.c.call("refundquery", "POST", "/pay/refundquery", { out_refund_no: outRefundNo });
      const count = f.amount(x.refund_count, "refund_count", true);
      for (let i = 0; i < count && i < 50; i++)
        if (x[`out_refund_no_${i}`] === outRefundNo) return refundFactsFromV2(x, i);
      return null;
    });
  }
}
