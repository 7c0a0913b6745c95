import { ORDER_STATES } from "@minipay/shared";
import { TRANSITIONS, canTransition, decideSettlement, targetStateFor } from "./order-machine";

describe("order state machine", () => {
  it("covers every state and only names known states", () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...ORDER_STATES].sort());
    for (const tos of Object.values(TRANSITIONS)) for (const t of tos) expect(ORDER_STATES).toContain(t);
  });
  it("refunded is terminal and paid never goes back to payable", () => {
    expect(TRANSITIONS.refunded).toEqual([]);
    expect(canTransition("paid", "created")).toBe(false);
    expect(canTransition("paid", "paying")).toBe(false);
    expect(canTransition("paid", "closed")).toBe(false);
  });
  it("maps WeChat trade states", () => {
    expect(targetStateFor("SUCCESS")).toBe("paid");
    expect(targetStateFor("CLOSED")).toBe("closed");
    expect(targetStateFor("NOTPAY")).toBeNull();
    expect(targetStateFor("USERPAYING")).toBeNull();
    expect(targetStateFor("PAYERROR")).toBeNull();
  });
});

describe("decideSettlement", () => {
  const paying = { state: "paying" as const, totalFen: 990 };
  it("moves a paying order to paid when the amount matches", () => {
    expect(decideSettlement(paying, { tradeState: "SUCCESS", totalFen: 990, currency: "CNY" })).toEqual({
      kind: "transition",
      to: "paid",
    });
  });
  it("flags an amount mismatch and moves nothing", () => {
    expect(decideSettlement(paying, { tradeState: "SUCCESS", totalFen: 1, currency: "CNY" })).toEqual({
      kind: "anomaly",
      anomaly: "amount_mismatch",
    });
    expect(decideSettlement(paying, { tradeState: "SUCCESS", totalFen: null, currency: null }).kind).toBe(
      "anomaly",
    );
    expect(decideSettlement(paying, { tradeState: "SUCCESS", totalFen: 990, currency: "USD" }).kind).toBe(
      "anomaly",
    );
  });
  it("is idempotent for an order already paid", () => {
    expect(
      decideSettlement(
        { state: "paid", totalFen: 990 },
        { tradeState: "SUCCESS", totalFen: 990, currency: "CNY" },
      ),
    ).toEqual({ kind: "noop", why: "already" });
  });
  it("records a payment after close as paid with an anomaly", () => {
    expect(
      decideSettlement(
        { state: "closed", totalFen: 990 },
        { tradeState: "SUCCESS", totalFen: 990, currency: null },
      ),
    ).toEqual({ kind: "transition", to: "paid", anomaly: "paid_after_close" });
  });
  it("never closes a paid order", () => {
    expect(
      decideSettlement(
        { state: "paid", totalFen: 990 },
        { tradeState: "CLOSED", totalFen: null, currency: null },
      ),
    ).toEqual({ kind: "noop", why: "not_allowed" });
  });
  it("leaves pending states alone", () => {
    expect(decideSettlement(paying, { tradeState: "NOTPAY", totalFen: 990, currency: null })).toEqual({
      kind: "noop",
      why: "pending",
    });
  });
});
