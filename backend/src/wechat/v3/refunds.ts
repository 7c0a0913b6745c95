/** APIv3 domestic refunds: create and query. */
import { z } from "zod";
import { orNullOn } from "../common";
import * as f from "../facts";
import type { Refunds } from "../ports";
import type { RefundFacts, RefundRequest, RefundStatus } from "../types";
import { checkShape, readJson, type V3Client } from "./client";

const REFUND_STATUS: readonly RefundStatus[] = ["SUCCESS", "CLOSED", "PROCESSING", "ABNORMAL"];

/** The Refund object of answers, and the refund notify plaintext (which says refund_status). */
const Refund = z.object({
  out_trade_no: z.string(),
  out_refund_no: z.string(),
  refund_id: z.string().optional(),
  transaction_id: z.string().optional(),
  status: z.string().optional(),
  refund_status: z.string().optional(),
  success_time: z.string().optional(),
  amount: z.object({ refund: z.number(), total: z.number() }),
});

export function refundFactsFromV3(raw: unknown): RefundFacts {
  f.assertNoControlChars(raw);
  const r = checkShape(Refund, raw);
  f.transactionId(r.transaction_id);
  return {
    outTradeNo: f.outTradeNo(r.out_trade_no),
    outRefundNo: f.outRefundNo(r.out_refund_no),
    refundId: f.refundId(r.refund_id),
    status: f.oneOf(REFUND_STATUS, r.status ?? r.refund_status, r.status ? "status" : "refund_status"),
    refundFen: f.amount(r.amount.refund, "amount.refund", true),
    totalFen: f.amount(r.amount.total, "amount.total", true),
    successTime: f.rfc3339Time(r.success_time, "success_time"),
  };
}

export class V3Refunds implements Refunds {
  constructor(private readonly c: V3Client) {}

  async refund(req: RefundRequest): Promise<RefundFacts> {
    // Retried with the same out_refund_no: WeChat refunds one out_refund_no once.
    const res = await this.c.call("refund", "POST", "/v3/refund/domestic/refunds", {
      out_trade_no: req.outTradeNo,
      out_refund_no: req.outRefundNo,
      reason: req.reason,
      notify_url: req.notifyUrl,
      amount: { refund: req.refundFen, total: req.totalFen, currency: "CNY" },
    });
    return refundFactsFromV3(readJson(res.body, "refund", res.status));
  }

  /** Retried like every query: asking again changes nothing at WeChat. */
  queryRefund(outRefundNo: string): Promise<RefundFacts | null> {
    return orNullOn(["RESOURCE_NOT_EXISTS", "ORDER_NOT_EXIST"], async () => {
      const url = `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`;
      const res = await this.c.call("refund query", "GET", url);
      return refundFactsFromV3(readJson(res.body, "refund query", res.status));
    });
  }
}
