import {
  MAX_REFUNDS_PER_ORDER,
  REFUND_TRANSITIONS,
  canMoveRefund,
  checkNewRefund,
  decideRefund,
  isFinalRefund,
  orderStateAfterRefund,
  remainingRefundable,
} from "./refund-machine";
import { canTransition } from "./order-machine";

describe("refund machine", () => {
  it("final states have no way out; pending and processing reach every end", () => {
    for (const s of ["succeeded", "failed", "closed"] as const) expect(isFinalRefund(s)).toBe(true);
    expect(canMoveRefund("pending", "processing")).toBe(true);
    expect(canMoveRefund("processing", "pending")).toBe(false);
    expect(canMoveRefund("succeeded", "closed")).toBe(false);
    for (const end of ["succeeded", "failed", "closed"] as const)
      expect(REFUND_TRANSITIONS.processing).toContain(end);
  });

  it("remaining refundable counts every refund that is not failed or closed", () => {
    const refunds = [
      { amountFen: 100, state: "succeeded" as const },
      { amountFen: 50, state: "processing" as const },
      { amountFen: 30, state: "pending" as const },
      { amountFen: 70, state: "failed" as const },
      { amountFen: 90, state: "closed" as const },
    ];
    expect(remainingRefundable(300, refunds)).toBe(120);
    expect(remainingRefundable(100, refunds)).toBe(0);
    expect(remainingRefundable(300, [])).toBe(300);
  });

  it("a new refund must fit, on a paid or partly refunded order", () => {
    const paid = { state: "paid" as const, totalFen: 300 };
    expect(checkNewRefund(paid, [], 300)).toEqual({ ok: true });
    expect(checkNewRefund(paid, [], 301)).toEqual({ ok: false, code: "REFUND_AMOUNT_INVALID" });
    expect(checkNewRefund(paid, [], 0)).toEqual({ ok: false, code: "REFUND_AMOUNT_INVALID" });
    expect(checkNewRefund(paid, [{ amountFen: 200, state: "processing" }], 101)).toEqual({
      ok: false,
      code: "REFUND_AMOUNT_INVALID",
    });
    expect(checkNewRefund(paid, [{ amountFen: 200, state: "closed" }], 300)).toEqual({ ok: true });
    for (const state of ["created", "paying", "closed", "refunded", "refunding"] as const)
      expect(checkNewRefund({ state, totalFen: 300 }, [], 1)).toEqual({
        ok: false,
        code: "REFUND_NOT_ALLOWED",
      });
    const many = Array.from({ length: MAX_REFUNDS_PER_ORDER }, () => ({
      amountFen: 1,
      state: "succeeded" as const,
    }));
    expect(checkNewRefund({ state: "partially_refunded", totalFen: 300 }, many, 1)).toEqual({
      ok: false,
      code: "REFUND_COUNT_EXCEEDED",
    });
  });

  it("maps WeChat's statuses; a final refund never moves again", () => {
    expect(decideRefund("pending", "PROCESSING")).toEqual({ kind: "move", to: "processing" });
    expect(decideRefund("processing", "PROCESSING")).toEqual({ kind: "noop", why: "pending" });
    expect(decideRefund("processing", "SUCCESS")).toEqual({ kind: "move", to: "succeeded" });
    expect(decideRefund("pending", "SUCCESS")).toEqual({ kind: "move", to: "succeeded" });
    expect(decideRefund("processing", "CLOSED")).toEqual({ kind: "move", to: "closed" });
    expect(decideRefund("succeeded", "SUCCESS")).toEqual({ kind: "noop", why: "already" });
    expect(decideRefund("succeeded", "CLOSED")).toEqual({ kind: "noop", why: "not_allowed" });
    expect(decideRefund("closed", "SUCCESS")).toEqual({ kind: "noop", why: "not_allowed" });
    expect(decideRefund("processing", "ABNORMAL")).toEqual({ kind: "abnormal" });
    expect(decideRefund("processing", "CHANGE")).toEqual({ kind: "abnormal" });
    expect(decideRefund("succeeded", "ABNORMAL")).toEqual({ kind: "noop", why: "already" });
  });

  it("the order becomes partially_refunded, then refunded, through moves the order table allows", () => {
    const paid = { state: "paid" as const, totalFen: 300 };
    expect(orderStateAfterRefund(paid, 100)).toBe("partially_refunded");
    expect(orderStateAfterRefund(paid, 300)).toBe("refunded");
    expect(orderStateAfterRefund({ state: "partially_refunded", totalFen: 300 }, 200)).toBeNull();
    expect(orderStateAfterRefund({ state: "partially_refunded", totalFen: 300 }, 300)).toBe("refunded");
    expect(canTransition("paid", "partially_refunded")).toBe(true);
    expect(canTransition("paid", "refunded")).toBe(true);
    expect(canTransition("partially_refunded", "refunded")).toBe(true);
  });
});
