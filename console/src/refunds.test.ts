import type { AdminRefund } from "@minipay/shared";
import {
  canRefund,
  checkReason,
  checkRefundAmount,
  newIdempotencyKey,
  RefundAttempt,
  refundableFen,
} from "./refunds";

const refund = (amountFen: number, state: AdminRefund["state"]): AdminRefund => ({
  id: `r-${amountFen}-${state}`,
  orderId: "o1",
  outTradeNo: "T1",
  outRefundNo: "RF1",
  refundId: null,
  amountFen,
  reason: null,
  state,
  lastError: null,
  createdAt: "2026-11-26T00:00:00.000Z",
  updatedAt: "2026-11-26T00:00:00.000Z",
  succeededAt: null,
});

describe("refundable remainder", () => {
  it("is the amount paid minus every refund still holding money", () => {
    expect(refundableFen({ totalFen: 990, refunds: [] })).toBe(990);
    const refunds = [
      refund(100, "succeeded"),
      refund(200, "pending"),
      refund(50, "processing"),
      refund(300, "failed"),
      refund(400, "closed"),
    ];
    expect(refundableFen({ totalFen: 990, refunds })).toBe(990 - 100 - 200 - 50);
    expect(refundableFen({ totalFen: 300, refunds: [refund(300, "succeeded")] })).toBe(0);
  });

  it("offers the refund button only for paid or partly refunded orders with money left", () => {
    expect(canRefund({ state: "paid", totalFen: 990, refunds: [] })).toBe(true);
    expect(
      canRefund({ state: "partially_refunded", totalFen: 990, refunds: [refund(100, "succeeded")] }),
    ).toBe(true);
    expect(canRefund({ state: "refunded", totalFen: 990, refunds: [refund(990, "succeeded")] })).toBe(false);
    expect(canRefund({ state: "created", totalFen: 990, refunds: [] })).toBe(false);
    expect(canRefund({ state: "paid", totalFen: 990, refunds: [refund(990, "pending")] })).toBe(false);
  });
});

describe("refund amount in yuan", () => {
  it("takes yuan with at most two decimals, above zero and within the remainder", () => {
    expect(checkRefundAmount("3", 990)).toEqual({ fen: 300 });
    expect(checkRefundAmount(" ¥9.90 ", 990)).toEqual({ fen: 990 });
    expect(checkRefundAmount("0.01", 990)).toEqual({ fen: 1 });
    expect(checkRefundAmount("9.91", 990)).toEqual({ error: "overRemainder" });
    expect(checkRefundAmount("0", 990)).toEqual({ error: "zero" });
    expect(checkRefundAmount("0.00", 990)).toEqual({ error: "zero" });
    for (const bad of ["", "abc", "1.234", "-1", "1e2", "1..2", "0x10"])
      expect(checkRefundAmount(bad, 990)).toEqual({ error: "badAmount" });
  });

  it("keeps a one-line reason of at most 80 characters, and none when blank", () => {
    expect(checkReason("  damaged  ")).toBe("damaged");
    expect(checkReason("   ")).toBeUndefined();
    expect(checkReason("x".repeat(81))).toEqual({ error: "badReason" });
    expect(checkReason("a\nb")).toEqual({ error: "badReason" });
  });
});

describe("idempotency key of one dialog", () => {
  it("is kept when the same request is sent again and renewed when the request changes", () => {
    let n = 0;
    const a = new RefundAttempt(() => `key-${++n}`);
    const first = a.keyFor({ amountFen: 300, reason: "x" });
    expect(a.keyFor({ amountFen: 300, reason: "x" })).toBe(first); // retried after a network error
    const changed = a.keyFor({ amountFen: 200, reason: "x" });
    expect(changed).not.toBe(first);
    expect(a.keyFor({ amountFen: 200, reason: "x" })).toBe(changed);
    expect(new RefundAttempt(() => `key-${++n}`).keyFor({ amountFen: 300, reason: "x" })).not.toBe(first);
  });

  it("is kept after a network error or a 5xx, and renewed after a 4xx refusal", () => {
    let n = 0;
    const a = new RefundAttempt(() => `key-${++n}`);
    const req = { amountFen: 300 };
    const first = a.keyFor(req);
    a.failed(0); // no answer: the server may have made the refund
    expect(a.keyFor(req)).toBe(first);
    a.failed(502);
    expect(a.keyFor(req)).toBe(first);
    a.failed(409); // refused: the next send is a new request
    const second = a.keyFor(req);
    expect(second).not.toBe(first);
    expect(a.keyFor(req)).toBe(second);
  });

  it("looks like a key the server accepts", () => {
    expect(newIdempotencyKey(() => "123e4567-e89b-12d3-a456-426614174000")).toMatch(
      /^[A-Za-z0-9_.:-]{8,128}$/,
    );
  });
});
