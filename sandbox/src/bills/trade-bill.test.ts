/** The bill's day boundary (Beijing midnight) and its number formats, without a server. */
import type { SandboxOrder, SandboxRefund } from "../state/store";
import { beijingDayStart, tradeBill, yuan } from "./trade-bill";

const at = (iso: string) => Date.parse(iso);
const order = (no: string, paidAt: string, totalFen: number): SandboxOrder =>
  ({
    mchid: "1900000001",
    appid: "wxabc",
    outTradeNo: no,
    tradeType: "NATIVE",
    description: "商品",
    totalFen,
    openid: null,
    attach: "a1",
    tradeState: "SUCCESS",
    transactionId: `42${no}`,
    successTime: at(paidAt),
  }) as SandboxOrder;
const refund = (no: string, acceptedAt: string, refundFen: number): SandboxRefund => ({
  mchid: "1900000001",
  outTradeNo: no,
  transactionId: `42${no}`,
  outRefundNo: `R${no}${acceptedAt}`,
  refundId: "5000",
  refundFen,
  totalFen: 0,
  status: "PROCESSING",
  createdAt: at(acceptedAt),
  successTime: null,
  notifyUrl: null,
});

it("beijingDayStart: midnight +08:00, and null for dates that do not exist", () => {
  expect(beijingDayStart(2026, 11, 26)).toBe(at("2026-11-25T16:00:00Z"));
  expect(beijingDayStart(2026, 2, 29)).toBeNull();
  expect(beijingDayStart(2028, 2, 29)).toBe(at("2028-02-28T16:00:00Z"));
  expect(beijingDayStart(2026, 13, 1)).toBeNull();
});

it("yuan: two decimals by integer arithmetic", () => {
  expect([yuan(0), yuan(1), yuan(50), yuan(101), yuan(123456)]).toEqual([
    "0.00",
    "0.01",
    "0.50",
    "1.01",
    "1234.56",
  ]);
});

it("rows dated by Beijing day: payment time for payments, acceptance time for refunds", () => {
  const history = {
    orders: [
      order("A", "2026-11-25T16:00:00Z", 150), // 00:00:00 Beijing: in
      order("B", "2026-11-26T15:59:59Z", 1), // 23:59:59 Beijing: in
      order("C", "2026-11-26T16:00:00Z", 7), // next day: out
      { ...order("D", "2026-11-26T01:00:00Z", 9), tradeState: "CLOSED" as const }, // never paid: out
    ],
    refunds: [refund("C", "2026-11-26T10:00:00+08:00", 3), refund("A", "2026-11-27T00:00:00+08:00", 1)],
  };
  const text = tradeBill(history, beijingDayStart(2026, 11, 26)!, "ALL")!;
  const lines = text.slice(1).split("\r\n");
  expect(lines.slice(1, 4).map((l) => l.split(",`")[0])).toEqual([
    "`2026-11-26 00:00:00",
    "`2026-11-26 10:00:00",
    "`2026-11-26 23:59:59",
  ]);
  // a refund of an order paid another day is still in; its status is the snapshot
  expect(lines[2]).toContain(",`REFUND,");
  expect(lines[2]).toContain(",`PROCESSING,");
  // 150 fen at 0.60% = 0.9 fen, rounded to 1 fen; 1 fen pays no fee
  expect(lines[1]).toContain(",`0.01000,`0.60%,`1.50,");
  expect(lines[3]).toContain(",`0.00000,`0.60%,`0.01,");
  expect(lines[5]).toBe("`3.0,`1.51,`0.03,`0.0,`0.01,`1.51,`0.03");
  expect(lines[6]).toBe("");
  expect(tradeBill(history, beijingDayStart(2026, 11, 24)!, "ALL")).toBeNull();
});

it("a day with trades has a bill of each type, even with no rows of that type", () => {
  const history = { orders: [order("A", "2026-11-26T01:00:00Z", 100)], refunds: [] };
  const text = tradeBill(history, beijingDayStart(2026, 11, 26)!, "REFUND")!;
  expect(text.slice(1).split("\r\n").slice(1, 3)).toEqual([
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额",
    "`0.0,`0.0,`0.0,`0.0,`0.0,`0.0,`0.0",
  ]);
});
