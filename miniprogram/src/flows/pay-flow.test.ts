import type { Order, OrderState, PaymentResponse } from "@minipay/shared";
import type { PayCallback, Platform } from "../platform/types";
import { PayFlow, pollUntilFinal, type PayApi } from "./pay-flow";

const base: Order = {
  id: "o1",
  outTradeNo: "MP20261124AAAAAAAAAAAAAAAA",
  state: "paying",
  totalFen: 100,
  refundedFen: 0,
  currency: "CNY",
  description: "x",
  items: [],
  createdAt: "2026-11-24T10:00:00.000Z",
  expiresAt: "2026-11-24T10:30:00.000Z",
  paidAt: null,
};
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
  return { sleeps, timing: { now: () => t, sleep: async (ms: number) => void (sleeps.push(ms), (t += ms)) } };
}

function apiWith(states: OrderState[]) {
  const seen: string[] = [];
  const api: PayApi = {
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

function platform(result: PayCallback, gate?: Promise<void>): Platform & { calls: unknown[] } {
  const calls: unknown[] = [];
  return {
    name: "mp-weixin",
    calls,
    login: async () => "code",
    requestPayment: async (p) => {
      calls.push(p);
      await gate;
      return result;
    },
    scanLink: () => null,
  };
}

describe("pay flow", () => {
  it("success: opens the sheet with exactly the backend's params, then polls verify until paid", async () => {
    const { api, seen } = apiWith(["paying", "paying", "paid"]);
    const p = platform("ok");
    const c = clock();
    const r = await new PayFlow(api, p, c.timing).pay("o1");
    expect(p.calls).toEqual([params]);
    expect(r).toMatchObject({ kind: "done", callback: "ok", order: { state: "paid" } });
    expect(seen).toEqual(["paying", "paying", "paid"]);
    expect(c.sleeps).toEqual([1000, 1500]);
  });

  it("cancel: asks the backend once and leaves the order payable", async () => {
    const { api } = apiWith(["paying"]);
    const r = await new PayFlow(api, platform("cancel"), clock().timing).pay("o1");
    expect(r).toMatchObject({ kind: "done", callback: "cancel", order: { state: "paying" } });
    expect(api.verify).toHaveBeenCalledTimes(1);
  });

  it("fail: the backend's answer wins, even when the money went through", async () => {
    const { api } = apiWith(["paid"]);
    const r = await new PayFlow(api, platform("fail"), clock().timing).pay("o1");
    expect(r).toMatchObject({ kind: "done", callback: "fail", order: { state: "paid" } });
  });

  it("a double tap is ignored while a payment runs", async () => {
    const { api } = apiWith(["paid"]);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const flow = new PayFlow(api, platform("ok", gate), clock().timing);
    const first = flow.pay("o1");
    expect(await flow.pay("o1")).toEqual({ kind: "ignored" });
    open();
    expect((await first).kind).toBe("done");
    expect(api.createPayment).toHaveBeenCalledTimes(1);
  });

  it("polling backs off up to 5 s and stops after about 30 s without a final state", async () => {
    const { api } = apiWith(["paying"]);
    const c = clock();
    const o = await pollUntilFinal(api, "o1", c.timing);
    expect(o.state).toBe("paying");
    expect(c.sleeps[0]).toBe(1000);
    expect(Math.max(...c.sleeps)).toBe(5000);
    expect(c.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(30_000);
  });

  it("H5 sandbox: a redirect to the cashier ends the flow here", async () => {
    const { api } = apiWith(["paying"]);
    const r = await new PayFlow(api, platform("redirected"), clock().timing).pay("o1");
    expect(r).toEqual({ kind: "redirected" });
    expect(api.verify).not.toHaveBeenCalled();
  });
});
