/**
 * Reconciliation of WeChat's daily trade bill against our records: pure, no I/O.
 *
 * The bill lists every payment (by payment success time) and every refund (by the time WeChat
 * accepted it) of one Asia/Shanghai day (docs: merchant-side bill format, "交易账单文件格式说明";
 * https://pay.weixin.qq.com/docs/merchant/products/bill-download/format-trade.html).
 * - Payment rows are matched to our orders by any out_trade_no the order used, then the amount
 *   (订单金额) and our state are compared.
 * - Our orders that WeChat says were paid that day (paid_at holds WeChat's success_time) but that
 *   have no row are missing at WeChat. An order paid at 23:59:59 and applied here after midnight
 *   is still of the earlier day: the day is decided by WeChat's trade time, in Shanghai time.
 * - Refund rows are matched by out_refund_no. A refund's status in the bill is a snapshot taken
 *   when the bill was made, so PROCESSING there is never a difference by itself.
 */
import { isPaid, type OrderState } from "@minipay/shared";

export const MISMATCH_KINDS = [
  "missing_here",
  "missing_at_wechat",
  "amount_mismatch",
  "state_mismatch",
  "refund_mismatch",
] as const;
export type MismatchKind = (typeof MISMATCH_KINDS)[number];

export const RECONCILE_TIME_ZONE = "Asia/Shanghai";
const SHANGHAI_OFFSET_MS = 8 * 3_600_000; // no daylight saving in China since 1991

/** A payment line of the bill (交易状态 SUCCESS or REVOKED). */
export interface BillPayment {
  outTradeNo: string;
  transactionId: string;
  tradeTime: Date;
  amountFen: number;
  /** WeChat's 交易状态: SUCCESS, or REVOKED for a payment reversed after success. */
  state: string;
}

/** A refund line of the bill (交易状态 REFUND). */
export interface BillRefund {
  outTradeNo: string;
  transactionId: string;
  outRefundNo: string;
  refundId: string;
  tradeTime: Date;
  /** 申请退款金额: the amount the refund asked for. */
  amountFen: number;
  /** 退款状态 at bill time: SUCCESS, PROCESSING, REFUNDCLOSE, CHANGE. */
  status: string;
}

export interface OurOrder {
  id: string;
  /** Every out_trade_no this order sent to WeChat (its own first). */
  tradeNumbers: string[];
  state: OrderState;
  totalFen: number;
  /** WeChat's payment success time as applied here; null when not paid. */
  paidAt: Date | null;
}

export type OurRefundState = "processing" | "succeeded" | "failed" | "abnormal";

export interface OurRefund {
  id: string;
  orderId: string;
  outRefundNo: string;
  amountFen: number;
  state: OurRefundState;
  /** When WeChat accepted it (or when we asked, when WeChat said nothing more precise). */
  acceptedAt: Date;
}

export interface Mismatch {
  kind: MismatchKind;
  /** For refund_mismatch: which side or field differs. */
  detail: "missing_here" | "missing_at_wechat" | "amount" | "state" | null;
  outTradeNo: string | null;
  outRefundNo: string | null;
  orderId: string | null;
  refundId: string | null;
  wechat: Record<string, unknown> | null;
  ours: Record<string, unknown> | null;
}

export interface ReconcileInput {
  /** The bill date, YYYY-MM-DD (a Shanghai calendar day). */
  day: string;
  payments: BillPayment[];
  refunds: BillRefund[];
  /** Our orders: those named by the bill, and those paid around the day (the window is checked here). */
  orders: OurOrder[];
  ourRefunds: OurRefund[];
}

export interface ReconcileResult {
  matched: number;
  mismatches: Mismatch[];
  counts: Record<MismatchKind, number>;
}

/** [start, end) of a Shanghai calendar day as instants; throws on a date that does not exist. */
export function shanghaiDay(day: string): { start: Date; end: Date } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const utc = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || new Date(utc).toISOString().slice(0, 10) !== day) throw new RangeError(`not a date: ${day}`);
  return { start: new Date(utc - SHANGHAI_OFFSET_MS), end: new Date(utc - SHANGHAI_OFFSET_MS + 86_400_000) };
}

/** The Shanghai calendar day an instant falls on, YYYY-MM-DD. */
export function shanghaiDate(at: Date): string {
  return new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

const REFUND_DONE: Record<string, OurRefundState | null> = {
  SUCCESS: "succeeded",
  REFUNDCLOSE: "failed",
  CHANGE: "abnormal",
  PROCESSING: null, // a snapshot: still moving when the bill was made
};

export function reconcile(input: ReconcileInput): ReconcileResult {
  const { start, end } = shanghaiDay(input.day);
  const inDay = (t: Date | null) => t !== null && t >= start && t < end;
  const byNumber = new Map<string, OurOrder>();
  for (const o of input.orders) for (const n of o.tradeNumbers) byNumber.set(n, o);
  const mismatches: Mismatch[] = [];
  let matched = 0;
  const seenOrders = new Set<string>();
  const orderFacts = (o: OurOrder) => ({
    state: o.state,
    totalFen: o.totalFen,
    paidAt: o.paidAt?.toISOString() ?? null,
  });
  const payFacts = (p: BillPayment) => ({
    transactionId: p.transactionId,
    state: p.state,
    amountFen: p.amountFen,
    tradeTime: p.tradeTime.toISOString(),
  });
  const base = { detail: null, outRefundNo: null, refundId: null } as const;

  for (const p of input.payments) {
    const o = byNumber.get(p.outTradeNo);
    if (!o) {
      mismatches.push({
        ...base,
        kind: "missing_here",
        outTradeNo: p.outTradeNo,
        orderId: null,
        wechat: payFacts(p),
        ours: null,
      });
      continue;
    }
    seenOrders.add(o.id);
    const wechatPaid = p.state !== "REVOKED";
    const kind: MismatchKind | null =
      wechatPaid !== isPaid(o.state)
        ? "state_mismatch"
        : wechatPaid && p.amountFen !== o.totalFen
          ? "amount_mismatch"
          : null;
    if (kind)
      mismatches.push({
        ...base,
        kind,
        outTradeNo: p.outTradeNo,
        orderId: o.id,
        wechat: payFacts(p),
        ours: orderFacts(o),
      });
    else matched++;
  }
  for (const o of input.orders) {
    if (seenOrders.has(o.id) || !isPaid(o.state) || !inDay(o.paidAt)) continue;
    mismatches.push({
      ...base,
      kind: "missing_at_wechat",
      outTradeNo: o.tradeNumbers[0] ?? null,
      orderId: o.id,
      wechat: null,
      ours: orderFacts(o),
    });
  }

  const ourRefund = new Map(input.ourRefunds.map((r) => [r.outRefundNo, r]));
  const seenRefunds = new Set<string>();
  for (const b of input.refunds) {
    const r = ourRefund.get(b.outRefundNo);
    const wechat = {
      refundId: b.refundId,
      status: b.status,
      amountFen: b.amountFen,
      tradeTime: b.tradeTime.toISOString(),
    };
    const link = {
      kind: "refund_mismatch" as const,
      outTradeNo: b.outTradeNo,
      outRefundNo: b.outRefundNo,
      orderId: r?.orderId ?? byNumber.get(b.outTradeNo)?.id ?? null,
      refundId: r?.id ?? null,
      wechat,
    };
    if (!r) {
      mismatches.push({ ...link, detail: "missing_here", ours: null });
      continue;
    }
    seenRefunds.add(r.id);
    const ours = { state: r.state, amountFen: r.amountFen, acceptedAt: r.acceptedAt.toISOString() };
    const final = REFUND_DONE[b.status];
    if (b.amountFen !== r.amountFen) mismatches.push({ ...link, detail: "amount", ours });
    // Ours may have moved on since the snapshot (processing → final); a different final state may not.
    else if (final && r.state !== final && r.state !== "processing")
      mismatches.push({ ...link, detail: "state", ours });
    else matched++;
  }
  for (const r of input.ourRefunds) {
    if (seenRefunds.has(r.id) || !inDay(r.acceptedAt)) continue;
    // A refund WeChat refused outright was never accepted there: no row is expected.
    if (r.state === "failed") continue;
    mismatches.push({
      kind: "refund_mismatch",
      detail: "missing_at_wechat",
      outTradeNo: input.orders.find((o) => o.id === r.orderId)?.tradeNumbers[0] ?? null,
      outRefundNo: r.outRefundNo,
      orderId: r.orderId,
      refundId: r.id,
      wechat: null,
      ours: { state: r.state, amountFen: r.amountFen, acceptedAt: r.acceptedAt.toISOString() },
    });
  }

  const counts = Object.fromEntries(MISMATCH_KINDS.map((k) => [k, 0])) as Record<MismatchKind, number>;
  for (const m of mismatches) counts[m.kind]++;
  return { matched, mismatches, counts };
}
