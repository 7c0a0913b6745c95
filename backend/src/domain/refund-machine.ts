/**
 * The refund state machine and the refund rules, pure. A refund row starts `pending` (stored, not
 * yet accepted by WeChat), is `processing` once WeChat has it (or may have it: a timeout), and ends
 * `succeeded`, `closed` (WeChat closed it) or `failed` (WeChat refused it outright). Statuses and
 * their meaning: docs/wechatpay-spec.md §2.6–§2.9 and §3.7, and WeChat's refund pages.
 */
import type { OrderState, RefundState } from "@minipay/shared";

export const REFUND_TRANSITIONS: Readonly<Record<RefundState, readonly RefundState[]>> = {
  pending: ["processing", "succeeded", "failed", "closed"],
  processing: ["succeeded", "failed", "closed"],
  succeeded: [],
  failed: [],
  closed: [],
};

export function canMoveRefund(from: RefundState, to: RefundState): boolean {
  return REFUND_TRANSITIONS[from].includes(to);
}

export function isFinalRefund(state: RefundState): boolean {
  return REFUND_TRANSITIONS[state].length === 0;
}

/** Refunds in these states hold (or already took) part of the paid amount. */
export function reservesAmount(state: RefundState): boolean {
  return state !== "failed" && state !== "closed";
}

/** WeChat caps the refunds of one order (partial refunds: at most 50 per order). */
export const MAX_REFUNDS_PER_ORDER = 50;

/** What may still be refunded of an order: paid minus every refund that is not failed or closed. */
export function remainingRefundable(
  paidFen: number,
  refunds: readonly { amountFen: number; state: RefundState }[],
): number {
  const held = refunds.filter((r) => reservesAmount(r.state)).reduce((s, r) => s + r.amountFen, 0);
  return Math.max(0, paidFen - held);
}

export type RefundCheck =
  | { ok: true }
  | { ok: false; code: "REFUND_NOT_ALLOWED" | "REFUND_AMOUNT_INVALID" | "REFUND_COUNT_EXCEEDED" };

/** May a new refund of `amountFen` be made on this order now? */
export function checkNewRefund(
  order: { state: OrderState; totalFen: number },
  refunds: readonly { amountFen: number; state: RefundState }[],
  amountFen: number,
): RefundCheck {
  if (order.state !== "paid" && order.state !== "partially_refunded")
    return { ok: false, code: "REFUND_NOT_ALLOWED" };
  if (!Number.isSafeInteger(amountFen) || amountFen <= 0) return { ok: false, code: "REFUND_AMOUNT_INVALID" };
  if (refunds.filter((r) => reservesAmount(r.state)).length >= MAX_REFUNDS_PER_ORDER)
    return { ok: false, code: "REFUND_COUNT_EXCEEDED" };
  if (amountFen > remainingRefundable(order.totalFen, refunds))
    return { ok: false, code: "REFUND_AMOUNT_INVALID" };
  return { ok: true };
}

/** WeChat's refund status (v2 REFUNDCLOSE is already read as CLOSED by the adapter). */
export type WechatRefundStatus = "SUCCESS" | "PROCESSING" | "CLOSED" | "ABNORMAL" | "CHANGE";

export type RefundDecision =
  | { kind: "move"; to: RefundState }
  /** ABNORMAL / CHANGE: the money is stuck (e.g. the shopper's card is gone); keep it reserved, flag it. */
  | { kind: "abnormal" }
  | { kind: "noop"; why: "already" | "not_allowed" | "pending" };

/** The pure heart of "apply WeChat's refund truth". */
export function decideRefund(current: RefundState, status: WechatRefundStatus): RefundDecision {
  const to: RefundState | null =
    status === "SUCCESS"
      ? "succeeded"
      : status === "CLOSED"
        ? "closed"
        : status === "PROCESSING"
          ? "processing"
          : null;
  if (to === null) return isFinalRefund(current) ? { kind: "noop", why: "already" } : { kind: "abnormal" };
  if (current === to) return { kind: "noop", why: to === "processing" ? "pending" : "already" };
  if (!canMoveRefund(current, to)) return { kind: "noop", why: "not_allowed" };
  return { kind: "move", to };
}

/** The order's state once `refundedFen` of `totalFen` has gone back (null: no move). */
export function orderStateAfterRefund(
  order: { state: OrderState; totalFen: number },
  refundedFen: number,
): OrderState | null {
  const to: OrderState = refundedFen >= order.totalFen ? "refunded" : "partially_refunded";
  return to === order.state ? null : to;
}
