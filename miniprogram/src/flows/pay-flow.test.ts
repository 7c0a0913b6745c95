import type { Order, OrderState, PaymentResponse } from "@minipay/shared";
import type { PayCallback } from "../platform/types";
import { anOrder } from "../../test/fixtures";
import { OrderWatcher, PayFlow, POLL, type PayApi } from "./pay-flow";

const base = anOrder();
const params = {
  timeStamp: "1",
  nonceStr: "n",
  package: "prepay_id=wx1",
  signType: "RSA" as const,
  paySign: "s",
};

/** A fake clock: sleeping advances time instantly, so tests never wait. */
function clock() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    advance: (ms: number) => (t += ms),
    timing: { now: () => t, sleep: async (ms: number) => void (sleeps.push(ms), (t += ms)) },
  };
}

function apiWith(states: OrderState[], created: OrderState = "created") {
  const seen: string[] = [];
  const api: PayApi = {
    createOrder: jest.fn(async () => ({ ...base, state: created })),
    createPayment: jest.fn(async (): Promise<PaymentResponse> => ({
      method: "jsapi",
      orderId: "o1",
      params,
      prepayExpiresAt: "x",
    })),
    verify: jest.fn(async () => {
      const s = states.length > 1 ? states.shift()! : states[0]!;
      seen.push(s);
      return { ...base, state: s };
    }),
  };
  return { api, seen };
}

function platform(result: PayCallback, gate?: Promise<void>) {
  const calls: unknown[] = [];
  return {
    calls,
    requestPayment: async (p: unknown) => {
      calls.push(p);
      await gate;
      return result;
    },
  };
}

describe("pay flow", () => {
  it("places the order with the visit's key, then opens the sheet with exactly the backend's params", async () => {
    const { api } = apiWith(["paid"]);
    const p = platform("ok");
    const r = await new PayFlow(api, p).checkout([{ productId: "a", quantity: 1 }], "mp-key-1");
    expect(api.createOrder).toHaveBeenCalledWith({ items: [{ productId: "a", quantity: 1 }] }, "mp-key-1");
    expect(p.calls).toEqual([params]);
    // The sheet's answer is a hint only: the result page does the waiting.
    expect(r).toEqual({ kind: "returned", callback: "ok", orderId: "o1" });
    expect(api.verify).not.toHaveBeenCalled();
  });

  it("an order that was already paid (same key, second visit) is shown, not paid twice", async () => {
    const { api } = apiWith(["paid"], "paid");
    const p = platform("ok");
    const r = await new PayFlow(api, p).checkout([{ productId: "a", quantity: 1 }], "mp-key-1");
    expect(r).toMatchObject({ kind: "not-payable", order: { state: "paid" } });
    expect(api.createPayment).not.toHaveBeenCalled();
  });

  it("a double tap is ignored while a payment runs", async () => {
    const { api } = apiWith(["paid"]);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const flow = new PayFlow(api, platform("ok", gate));
    const first = flow.pay("o1");
    expect(await flow.checkout([], "k")).toEqual({ kind: "ignored" });
    open();
    expect((await first).kind).toBe("returned");
    expect(api.createPayment).toHaveBeenCalledTimes(1);
    expect(api.createOrder).not.toHaveBeenCalled();
  });

  it("H5 sandbox: a redirect to the cashier ends the flow here", async () => {
    const { api } = apiWith(["paying"]);
    expect(await new PayFlow(api, platform("redirected")).pay("o1")).toEqual({
      kind: "redirected",
      orderId: "o1",
    });
  });
});

describe("order watcher (the result page's one wait)", () => {
  it("after ok: polls with backoff until paid", async () => {
    const { api, seen } = apiWith(["paying", "paying", "paid"]);
    const c = clock();
    const s = await new OrderWatcher(api, "o1", c.timing).run();
    expect(seen).toEqual(["paying", "paying", "paid"]);
    expect(c.sleeps).toEqual([1000, 1500]);
    expect(s).toMatchObject({ slow: false, done: true, order: { state: "paid" } });
  });

  it("after ok but nothing final: stops after about 30 s and says it is being confirmed", async () => {
    const { api } = apiWith(["paying"]);
    const c = clock();
    const s = await new OrderWatcher(api, "o1", c.timing).run();
    expect(s).toMatchObject({ slow: true, done: true });
    expect(Math.max(...c.sleeps)).toBe(POLL.maxDelayMs);
    expect(c.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(30_000);
  });

  it("cancel or fail: asks once, leaving the order payable", async () => {
    const { api } = apiWith(["paying"]);
    const s = await new OrderWatcher(api, "o1", clock().timing).run({ once: true });
    expect(api.verify).toHaveBeenCalledTimes(1);
    expect(s).toMatchObject({ slow: false, order: { state: "paying" } });
  });

  it("a live QR code keeps it polling past 30 s: paid at 40 s turns to paid", async () => {
    const states: OrderState[] = [];
    const c = clock();
    const api = {
      verify: jest.fn(async () => ({
        ...base,
        state: (c.timing.now() >= 40_000 ? "paid" : "paying") as OrderState,
      })),
    };
    const updates: boolean[] = [];
    const w = new OrderWatcher(api, "o1", c.timing, (s) => {
      states.push(s.order!.state);
      updates.push(s.slow);
    });
    const s = await w.run({ liveUntil: 2 * 3600_000 });
    expect(s.order!.state).toBe("paid");
    expect(c.timing.now()).toBeGreaterThanOrEqual(40_000);
    expect(c.timing.now()).toBeLessThan(46_000);
    expect(updates).toContain(true); // past 30 s it said "being confirmed" while still polling
  });

  it("stops at the QR code's expiry", async () => {
    const { api } = apiWith(["paying"]);
    const c = clock();
    const s = await new OrderWatcher(api, "o1", c.timing).run({ liveUntil: 60_000 });
    expect(s.order!.state).toBe("paying");
    expect(c.timing.now()).toBeLessThanOrEqual(60_000);
    expect(c.timing.now()).toBeGreaterThan(50_000);
  });

  it("errors end the run (the page shows a retry); rate limiting only slows it down", async () => {
    const c = clock();
    const failing = {
      verify: jest.fn(async () => Promise.reject(Object.assign(new Error("x"), { code: "UPSTREAM_ERROR" }))),
    };
    await expect(new OrderWatcher(failing, "o1", c.timing).run()).rejects.toMatchObject({
      code: "UPSTREAM_ERROR",
    });
    let n = 0;
    const limited = {
      verify: jest.fn(async () => {
        if (n++ === 0) throw Object.assign(new Error("x"), { code: "RATE_LIMITED" });
        return { ...base, state: "paid" as OrderState };
      }),
    };
    expect((await new OrderWatcher(limited, "o1", c.timing).run()).order!.state).toBe("paid");
  });

  it("a nudge while a check is in flight is not lost: one more check follows at once", async () => {
    let answer: ((o: Order) => void) | null = null;
    const calls: string[] = [];
    const api = {
      verify: jest.fn(
        () =>
          new Promise<Order>((resolve) => {
            calls.push("verify");
            answer = resolve;
          }),
      ),
    };
    const never = { now: () => 0, sleep: () => new Promise<void>(() => undefined) };
    const w = new OrderWatcher(api, "o1", never);
    const run = w.run({ liveUntil: 1e9 });
    await new Promise((r) => setTimeout(r, 0));
    w.nudge(); // "我已完成支付" tapped while the first check is still waiting for the backend
    answer!({ ...base, state: "paying" as OrderState });
    await new Promise((r) => setTimeout(r, 0));
    expect(calls).toEqual(["verify", "verify"]); // no sleep in between
    answer!({ ...base, state: "paid" as OrderState });
    expect((await run).order!.state).toBe("paid");
  });

  it("nudge() checks at once; stop() ends the wait", async () => {
    const { api } = apiWith(["paying", "paid"]);
    let t = 0;
    const never = { now: () => t, sleep: () => new Promise<void>(() => undefined) };
    const w = new OrderWatcher(api, "o1", never);
    const run = w.run({ liveUntil: 1e9 });
    await new Promise((r) => setTimeout(r, 0));
    t += 1;
    w.nudge();
    expect((await run).order!.state).toBe("paid");
    const w2 = new OrderWatcher(apiWith(["paying"]).api, "o1", never);
    const run2 = w2.run({ liveUntil: 1e9 });
    await new Promise((r) => setTimeout(r, 0));
    w2.stop();
    expect((await run2).done).toBe(true);
  });
});
