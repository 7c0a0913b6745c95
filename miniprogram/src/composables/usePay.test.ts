import type { OrderState } from "@minipay/shared";
import { anOrder } from "../../test/fixtures";
import { usePay } from "./usePay";

const order = (state: OrderState) => anOrder({ outTradeNo: "MP1", state });

// The app's wiring, replaced by a scripted sheet and backend.
const script = {
  sheet: "ok" as "ok" | "cancel" | "fail",
  backend: "paid" as OrderState,
  runs: [] as unknown[],
};
jest.mock("../app-context", () => ({
  lang: () => "en",
  ready: async () => ({
    payFlow: {
      checkout: async () => ({ kind: "returned", callback: script.sheet, orderId: "o1" }),
      pay: async () => ({ kind: "returned", callback: script.sheet, orderId: "o1" }),
    },
  }),
  watchOrder: async () => ({
    run: async (opts: unknown) => {
      script.runs.push(opts);
      return { order: order(script.backend), slow: false, done: true };
    },
  }),
}));

describe("usePay().payAndVerify (what MinipayPayButton emits)", () => {
  beforeEach(() => (script.runs = []));

  it("success only when the backend says paid", async () => {
    Object.assign(script, { sheet: "ok", backend: "paid" });
    expect(await usePay().payAndVerify([{ productId: "a", quantity: 1 }], "mp-key-1")).toMatchObject({
      status: "success",
    });
    expect(script.runs).toEqual([{ once: false }]);
  });

  it("cancel leaves the order payable; the backend is still asked once", async () => {
    Object.assign(script, { sheet: "cancel", backend: "paying" });
    expect(await usePay().payAndVerify([], "mp-key-1")).toMatchObject({
      status: "cancel",
      order: { state: "paying" },
    });
    expect(script.runs).toEqual([{ once: true }]);
  });

  it("a sheet that failed but a backend that saw the money: success", async () => {
    Object.assign(script, { sheet: "fail", backend: "paid" });
    expect((await usePay().payAndVerify([], "mp-key-1"))!.status).toBe("success");
  });

  it("still unconfirmed after the wait: fail, saying it is being confirmed", async () => {
    Object.assign(script, { sheet: "ok", backend: "paying" });
    expect(await usePay().payAndVerify([], "mp-key-1")).toMatchObject({
      status: "fail",
      message: expect.stringContaining("still confirming"),
    });
  });

  it("one payment at a time, one paying flag", async () => {
    Object.assign(script, { sheet: "ok", backend: "paid" });
    const p = usePay();
    const first = p.payAndVerify([], "k");
    expect(p.paying.value).toBe(true);
    expect(await p.payAndVerify([], "k")).toBeNull();
    await first;
    expect(p.paying.value).toBe(false);
  });
});
