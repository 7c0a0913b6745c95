import { answerHead, concernsOrder, recentFailures } from "./webhooks";

const evt = (object: unknown) => ({ payload: { id: "evt_1", type: "x", createdAt: "", data: { object } } });

describe("deliveries of one order", () => {
  it("matches order events by the order's id and refund/anomaly events by orderId", () => {
    expect(concernsOrder(evt({ id: "o1", state: "paid" }), "o1")).toBe(true);
    expect(concernsOrder(evt({ id: "r9", orderId: "o1", state: "succeeded" }), "o1")).toBe(true);
    expect(concernsOrder(evt({ id: "a1", orderId: null }), "o1")).toBe(false);
    expect(concernsOrder(evt({ id: "o2" }), "o1")).toBe(false);
    // A refund whose own id happens to equal the order id is still the refund of another order.
    expect(concernsOrder(evt({ id: "o1", orderId: "o2" }), "o1")).toBe(false);
    expect(concernsOrder({ payload: null }, "o1")).toBe(false);
    expect(concernsOrder({ payload: "text" }, "o1")).toBe(false);
  });
});

describe("recent webhook failures", () => {
  const now = new Date("2026-11-26T12:00:00Z");
  const at = (daysAgo: number) => ({
    createdAt: new Date(now.getTime() - daysAgo * 86_400_000).toISOString(),
  });

  it("counts the failures of the last 30 days", () => {
    expect(recentFailures([at(1), at(29), at(31)], now, 30, false)).toEqual({ count: 2, more: false });
    expect(recentFailures([], now, 30, false)).toEqual({ count: 0, more: false });
  });

  it("says the count may be higher when every loaded failure is recent and more pages exist", () => {
    expect(recentFailures([at(1), at(2)], now, 30, true)).toEqual({ count: 2, more: true });
    expect(recentFailures([at(1), at(40)], now, 30, true)).toEqual({ count: 1, more: false });
  });
});

describe("answer head", () => {
  it("shows at most 1 KB", () => {
    expect(answerHead(null)).toBe("");
    expect(answerHead("ok")).toBe("ok");
    expect(answerHead("x".repeat(2000))).toHaveLength(1025);
  });
});
