import { ORDER_STATES } from "@minipay/shared";
import { canTransition } from "./order-machine";
import { ALREADY_PAID_IN, PAID_CLEANLY_FROM } from "./settle-shortcuts";

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
