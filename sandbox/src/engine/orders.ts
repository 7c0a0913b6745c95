/**
 * The order rules, written once for v2, v3 and the control API: place (with WeChat's re-entry
 * rule), look up, close, pay and refund. A refusal is an EngineError; each API version has one
 * table that turns its code into that version's err_code or HTTP status.
 */
import type { MerchantMaterial } from "../crypto/keys";
import type { NewSandboxOrder, SandboxOrder, SandboxRefund } from "../state/store";
import type { SandboxContext } from "../wire/context";

export type EngineErrorCode =
  | "ORDER_PAID"
  | "ORDER_CLOSED"
  | "NOT_FOUND"
  | "DUPLICATE"
  | "REFUND_TOO_LARGE"
  | "NOT_PAID"
  | "AMOUNT_MISMATCH"
  | "TOO_SOON_TO_CLOSE"
  | "ORDER_EXPIRED"
  | "OPENID_MISMATCH";

export class EngineError extends Error {
  constructor(readonly code: EngineErrorCode) {
    super(code);
  }
}

export const isPaid = (o: SandboxOrder) => o.tradeState === "SUCCESS" || o.tradeState === "REFUND";

/** What a request states; the merchant and the re-entry fingerprint are added by place(). */
export type NewOrder = Omit<NewSandboxOrder, "mchid" | "appid" | "fingerprint">;

/** Place an order, or re-enter it: the same out_trade_no with the same parameters gets the same prepay. */
export function place(c: SandboxContext, m: MerchantMaterial, n: NewOrder): SandboxOrder {
  const fingerprint = JSON.stringify([n.description, n.totalFen, n.openid ?? "", n.tradeType]);
  let o = c.store.order(m.mchid, n.outTradeNo);
  if (o) {
    if (isPaid(o)) throw new EngineError("ORDER_PAID");
    if (o.tradeState === "CLOSED") throw new EngineError("ORDER_CLOSED");
    if (o.fingerprint !== fingerprint) throw new EngineError("DUPLICATE");
  } else o = c.store.createOrder({ mchid: m.mchid, appid: m.appid, ...n, fingerprint });
  c.store.prepay(o);
  return o;
}

/** One merchant's order by transaction_id (when given) or out_trade_no. */
export function lookup(
  c: SandboxContext,
  mchid: string,
  key: { transactionId?: string; outTradeNo?: string },
): SandboxOrder | undefined {
  return key.transactionId
    ? c.store.orderByTransaction(mchid, key.transactionId)
    : c.store.order(mchid, key.outTradeNo ?? "");
}

/** Close an unpaid order. With close_orderpaid the shopper pays at the last second, so close finds it paid. */
export function close(c: SandboxContext, o: SandboxOrder): void {
  if (
    o.tradeState === "NOTPAY" &&
    c.scenarios.find("close_orderpaid", { mchid: o.mchid, outTradeNo: o.outTradeNo })
  )
    completePayment(c, o, o.openid);
  if (isPaid(o)) throw new EngineError("ORDER_PAID");
  if (o.tradeState === "CLOSED") throw new EngineError("ORDER_CLOSED");
  if (c.now() - o.createdAt < c.closeMinAgeSeconds * 1000) throw new EngineError("TOO_SOON_TO_CLOSE");
  o.tradeState = "CLOSED";
}

export type PayOutcome = "SUCCESS" | "PAYERROR" | "USERPAYING" | "CANCEL";
const DEFAULT_PAYER = `o${"sandboxpayer".padEnd(27, "0")}`;

/** The shopper acts on an order. Only NOTPAY/USERPAYING/PAYERROR orders before expiry can be paid. */
export function pay(c: SandboxContext, o: SandboxOrder, outcome: PayOutcome, openid?: string): void {
  if (isPaid(o)) throw new EngineError("ORDER_PAID");
  if (o.tradeState === "CLOSED") throw new EngineError("ORDER_CLOSED");
  if (o.timeExpire && c.now() > o.timeExpire) throw new EngineError("ORDER_EXPIRED");
  if (o.tradeType === "JSAPI" && openid && o.openid && openid !== o.openid)
    throw new EngineError("OPENID_MISMATCH");
  if (outcome === "SUCCESS") completePayment(c, o, openid ?? o.openid ?? DEFAULT_PAYER);
  else if (outcome === "PAYERROR" || outcome === "USERPAYING") o.tradeState = outcome;
  // CANCEL: the shopper closed the sheet; nothing changes at WeChat.
}

/** Mark the order paid, then notify (unless a scenario says otherwise). */
export function completePayment(c: SandboxContext, o: SandboxOrder, openid: string | null): void {
  const m = c.merchants.byMchid(o.mchid);
  if (!m) return;
  c.store.markPaid(o, openid);
  c.notifier.payment(m, o);
}

export interface RefundRequest {
  outRefundNo: string;
  refundFen: number;
  /** The order total the merchant states; it must match. */
  totalFen: number;
  notifyUrl: string | null;
}

/** Accept a refund of a paid order; the same out_refund_no again answers the refund already accepted. */
export function refund(
  c: SandboxContext,
  m: MerchantMaterial,
  o: SandboxOrder,
  r: RefundRequest,
): SandboxRefund {
  if (r.totalFen !== o.totalFen) throw new EngineError("AMOUNT_MISMATCH");
  if (!isPaid(o)) throw new EngineError("NOT_PAID");
  const existing = c.store.refund(m.mchid, r.outRefundNo);
  if (existing) return existing;
  if (o.refundedFen + r.refundFen > o.totalFen) throw new EngineError("REFUND_TOO_LARGE");
  const rf = c.store.addRefund({
    mchid: m.mchid,
    outTradeNo: o.outTradeNo,
    transactionId: o.transactionId,
    outRefundNo: r.outRefundNo,
    refundFen: r.refundFen,
    totalFen: o.totalFen,
    notifyUrl: r.notifyUrl,
  });
  o.refundedFen += r.refundFen;
  o.tradeState = "REFUND";
  // WeChat settles a refund a little later (scaled), then notifies. A refund_outcome scenario can
  // make it later, CLOSED (the amount becomes refundable again) or ABNORMAL (stuck, v2 "CHANGE").
  const rule = c.scenarios.take("refund_outcome", { mchid: m.mchid, outTradeNo: o.outTradeNo });
  const status = rule?.status ?? "SUCCESS";
  setTimeout(
    () => {
      rf.status = status;
      if (status === "SUCCESS") rf.successTime = c.now();
      if (status === "CLOSED") o.refundedFen -= rf.refundFen;
      c.notifier.refund(m, rf);
    },
    Math.max(1, (rule?.seconds ?? 5) * 1000 * c.timeScale),
  ).unref();
  return rf;
}
