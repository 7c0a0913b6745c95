/** The order rules on their own: a real Store and Scenarios, a notifier that only records. */
import type { MerchantMaterial } from "../crypto/keys";
import { Scenarios } from "../notify/scenarios";
import { Store, type SandboxOrder } from "../state/store";
import type { SandboxContext } from "../wire/context";
import { EngineError, close, pay, place, refund, type NewOrder } from "./orders";

const m = { mchid: "1900000001", appid: "wxabc", apiVersion: "v3" } as MerchantMaterial;
let now = 1_800_000_000_000;
function context(closeMinAgeSeconds = 0) {
  const notified: string[] = [];
  const c = {
    store: new Store(() => now),
    scenarios: new Scenarios(),
    merchants: { byMchid: (id: string) => (id === m.mchid ? m : undefined) },
    notifier: { payment: (_m: unknown, o: SandboxOrder) => notified.push(o.outTradeNo), refund: () => {} },
    now: () => now,
    timeScale: 0.0001,
    closeMinAgeSeconds,
  } as unknown as SandboxContext;
  return { c, notified };
}
const order = (no: string, extra: Partial<NewOrder> = {}): NewOrder => ({
  apiVersion: "v3",
  outTradeNo: no,
  tradeType: "JSAPI",
  description: "d",
  totalFen: 100,
  openid: "o1",
  notifyUrl: "http://127.0.0.1:9/n",
  attach: null,
  timeExpire: null,
  ...extra,
});
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof EngineError) return e.code;
    throw e;
  }
  return "ok";
};

it("place: re-entry with the same parameters keeps the prepay; other parameters are DUPLICATE", () => {
  const { c } = context();
  const a = place(c, m, order("A"));
  expect(place(c, m, order("A")).prepayId).toBe(a.prepayId);
  expect(code(() => place(c, m, order("A", { totalFen: 101 })))).toBe("DUPLICATE");
  expect(code(() => place(c, m, order("A", { openid: "o2" })))).toBe("DUPLICATE");
});

it("pay then place, close and pay again are refused as paid; closed orders stay closed", () => {
  const { c, notified } = context();
  const a = place(c, m, order("A"));
  pay(c, a, "SUCCESS");
  expect(notified).toEqual(["A"]);
  expect(code(() => place(c, m, order("A")))).toBe("ORDER_PAID");
  expect(code(() => close(c, a))).toBe("ORDER_PAID");
  expect(code(() => pay(c, a, "SUCCESS"))).toBe("ORDER_PAID");
  const b = place(c, m, order("B"));
  close(c, b);
  expect(b.tradeState).toBe("CLOSED");
  expect(code(() => close(c, b))).toBe("ORDER_CLOSED");
  expect(code(() => place(c, m, order("B")))).toBe("ORDER_CLOSED");
  expect(code(() => pay(c, b, "SUCCESS"))).toBe("ORDER_CLOSED");
});

it("close waits closeMinAgeSeconds; close_orderpaid pays the order at the last second", () => {
  const { c, notified } = context(300);
  const a = place(c, m, order("A"));
  expect(code(() => close(c, a))).toBe("TOO_SOON_TO_CLOSE");
  now += 300_000;
  c.scenarios.add({ action: "close_orderpaid", match: { out_trade_no: "A" } });
  expect(code(() => close(c, a))).toBe("ORDER_PAID");
  expect(notified).toEqual(["A"]);
});

it("pay: expiry, another openid, and the outcomes that are not SUCCESS", () => {
  const { c } = context();
  const a = place(c, m, order("A", { timeExpire: now + 1000 }));
  expect(code(() => pay(c, a, "SUCCESS", "oOTHER"))).toBe("OPENID_MISMATCH");
  pay(c, a, "USERPAYING");
  expect(a.tradeState).toBe("USERPAYING");
  pay(c, a, "CANCEL");
  expect(a.tradeState).toBe("USERPAYING");
  now += 1001;
  expect(code(() => pay(c, a, "SUCCESS"))).toBe("ORDER_EXPIRED");
});

it("refund: the stated total must match, only paid orders, never more than paid; same out_refund_no is idempotent", () => {
  const { c } = context();
  const a = place(c, m, order("A"));
  const r = (no: string, fen: number, total = 100) =>
    refund(c, m, a, { outRefundNo: no, refundFen: fen, totalFen: total, notifyUrl: null });
  expect(code(() => r("R1", 10))).toBe("NOT_PAID");
  pay(c, a, "SUCCESS");
  expect(code(() => r("R1", 10, 99))).toBe("AMOUNT_MISMATCH");
  const first = r("R1", 60);
  expect(r("R1", 60)).toBe(first);
  expect(code(() => r("R2", 41))).toBe("REFUND_TOO_LARGE");
  r("R2", 40);
  expect([a.refundedFen, a.tradeState]).toEqual([100, "REFUND"]);
  expect(code(() => r("R3", 1))).toBe("REFUND_TOO_LARGE");
});
