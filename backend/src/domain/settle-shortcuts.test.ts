import { ORDER_STATES } from "@minipay/shared";
import { canTransition, decideSettlement } from "./order-machine";
import { ALREADY_PAID_IN, PAID_CLEANLY_FROM, alreadyRecorded, settlesNothing } from "./settle-shortcuts";

describe("settle shortcuts", () => {
  it("pay cleanly only from states the table lets move to paid without a late-payment anomaly", () => {
    expect([...PAID_CLEANLY_FROM].sort()).toEqual(["created", "paying"]);
    for (const s of PAID_CLEANLY_FROM) expect(canTransition(s, "paid")).toBe(true);
  });

  it("treat every state that holds the shopper's money as already paid", () => {
    expect([...ALREADY_PAID_IN].sort()).toEqual(["paid", "partially_refunded", "refunded", "refunding"]);
  });

  it("never let an order leave the already-paid states (settled facts stay true: db/repositories/notify-settle.ts)", () => {
    for (const from of ALREADY_PAID_IN)
      for (const to of ORDER_STATES) if (canTransition(from, to)) expect(ALREADY_PAID_IN).toContain(to);
  });
});

describe("alreadyRecorded", () => {
  const order = (state: (typeof ORDER_STATES)[number]) => ({ state, totalFen: 100, transactionId: "T1" });
  const facts = { tradeState: "SUCCESS", totalFen: 100, currency: "CNY", transactionId: "T1" };

  it("holds only where settle would change nothing (decideSettlement: noop, already)", () => {
    const variants = [
      facts,
      { ...facts, currency: null },
      { ...facts, currency: "USD" },
      { ...facts, totalFen: 101 },
      { ...facts, totalFen: null },
      { ...facts, transactionId: "T2" },
      { ...facts, transactionId: null },
      { ...facts, tradeState: "CLOSED" },
      { ...facts, tradeState: "REFUND" },
    ];
    for (const state of ORDER_STATES)
      for (const f of variants) {
        if (!alreadyRecorded(order(state), f)) continue;
        expect(decideSettlement({ state, totalFen: 100 }, f)).toEqual({ kind: "noop", why: "already" });
        expect(f.transactionId).toBe("T1");
      }
    expect(ORDER_STATES.filter((s) => alreadyRecorded(order(s), facts)).sort()).toEqual(
      [...ALREADY_PAID_IN].sort(),
    );
  });

  it("never for another transaction, another amount or a currency other than CNY", () => {
    expect(alreadyRecorded(order("paid"), { ...facts, transactionId: "T2" })).toBe(false);
    expect(alreadyRecorded(order("paid"), { ...facts, totalFen: 99 })).toBe(false);
    expect(alreadyRecorded(order("paid"), { ...facts, currency: "USD" })).toBe(false);
    expect(alreadyRecorded({ state: "paid", totalFen: 100, transactionId: null }, facts)).toBe(false);
    expect(alreadyRecorded(order("paying"), facts)).toBe(false);
  });
});

describe("settlesNothing", () => {
  const facts = { tradeState: "NOTPAY", totalFen: null, currency: null, transactionId: null };

  it("facts with no state to move to change no order, in any state", () => {
    for (const tradeState of ["NOTPAY", "USERPAYING"])
      for (const state of ORDER_STATES) {
        const order = { state, totalFen: 100, transactionId: null };
        expect(settlesNothing(order, { ...facts, tradeState })).toBe(true);
        expect(decideSettlement(order, { ...facts, tradeState })).toEqual({ kind: "noop", why: "pending" });
      }
  });

  it("facts that move or flag something are never skipped", () => {
    const paying = { state: "paying" as const, totalFen: 100, transactionId: null };
    expect(
      settlesNothing(paying, { tradeState: "SUCCESS", totalFen: 100, currency: "CNY", transactionId: "T" }),
    ).toBe(false);
    expect(settlesNothing(paying, { ...facts, tradeState: "CLOSED" })).toBe(false);
    expect(
      settlesNothing(paying, { tradeState: "SUCCESS", totalFen: 99, currency: "CNY", transactionId: "T" }),
    ).toBe(false);
    const paid = { state: "paid" as const, totalFen: 100, transactionId: "T" };
    expect(
      settlesNothing(paid, { tradeState: "SUCCESS", totalFen: 100, currency: "CNY", transactionId: "T" }),
    ).toBe(true);
    expect(
      settlesNothing(paid, { tradeState: "SUCCESS", totalFen: 100, currency: "CNY", transactionId: "U" }),
    ).toBe(false);
  });
});
