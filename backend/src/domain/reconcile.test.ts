import {
  reconcile,
  shanghaiDate,
  shanghaiDay,
  type BillPayment,
  type BillRefund,
  type OurOrder,
  type OurRefund,
} from "./reconcile";

const DAY = "2026-11-20";
const at = (local: string) => new Date(`${local}+08:00`);

const pay = (no: string, fen: number, time = "2026-11-20T10:00:00", state = "SUCCESS"): BillPayment => ({
  outTradeNo: no,
  transactionId: `4200${no}`,
  tradeTime: at(time),
  amountFen: fen,
  state,
});
const order = (
  id: string,
  fen: number,
  paid: string | null,
  state: OurOrder["state"] = "paid",
): OurOrder => ({
  id,
  tradeNumbers: [`MP${id}`],
  state,
  totalFen: fen,
  paidAt: paid ? at(paid) : null,
});
const billRefund = (no: string, orderNo: string, fen: number, status = "SUCCESS"): BillRefund => ({
  outTradeNo: orderNo,
  transactionId: `4200${orderNo}`,
  outRefundNo: no,
  refundId: `5000${no}`,
  tradeTime: at("2026-11-20T12:00:00"),
  amountFen: fen,
  status,
});
const ourRefund = (
  id: string,
  orderId: string,
  fen: number,
  state: OurRefund["state"] = "succeeded",
  accepted = "2026-11-20T12:00:00",
): OurRefund => ({ id, orderId, outRefundNo: `RF${id}`, amountFen: fen, state, acceptedAt: at(accepted) });

const kinds = (r: ReturnType<typeof reconcile>) => r.mismatches.map((m) => `${m.kind}:${m.detail ?? ""}`);

describe("shanghaiDay", () => {
  it("is the Asia/Shanghai calendar day, 16:00 UTC the day before to 16:00 UTC", () => {
    const d = shanghaiDay(DAY);
    expect(d.start.toISOString()).toBe("2026-11-19T16:00:00.000Z");
    expect(d.end.toISOString()).toBe("2026-11-20T16:00:00.000Z");
    expect(shanghaiDate(at("2026-11-20T23:59:59"))).toBe(DAY);
    expect(shanghaiDate(at("2026-11-21T00:00:00"))).toBe("2026-11-21");
  });
  it("refuses dates that do not exist", () => {
    expect(() => shanghaiDay("2026-02-30")).toThrow(RangeError);
    expect(() => shanghaiDay("20261120")).toThrow(RangeError);
  });
});

describe("reconcile", () => {
  it("matches a bill that agrees with us, payments and refunds alike", () => {
    const r = reconcile({
      day: DAY,
      payments: [pay("MPa", 1980), pay("MPb", 500)],
      refunds: [billRefund("RFr1", "MPa", 980)],
      orders: [
        order("a", 1980, "2026-11-20T10:00:00", "partially_refunded"),
        order("b", 500, "2026-11-20T10:00:00"),
      ],
      ourRefunds: [ourRefund("r1", "a", 980)],
    });
    expect(r.mismatches).toEqual([]);
    expect(r.matched).toBe(3);
  });

  it("finds an order WeChat was paid for that we do not know (missing here)", () => {
    const r = reconcile({ day: DAY, payments: [pay("MPzz", 100)], refunds: [], orders: [], ourRefunds: [] });
    expect(kinds(r)).toEqual(["missing_here:"]);
    expect(r.mismatches[0]).toMatchObject({ outTradeNo: "MPzz", orderId: null, ours: null });
    expect(r.counts.missing_here).toBe(1);
  });

  it("finds an order we hold as paid that day which the bill lacks (missing at WeChat)", () => {
    const r = reconcile({
      day: DAY,
      payments: [],
      refunds: [],
      orders: [order("a", 100, "2026-11-20T08:00:00")],
      ourRefunds: [],
    });
    expect(kinds(r)).toEqual(["missing_at_wechat:"]);
    expect(r.mismatches[0]!.orderId).toBe("a");
  });

  it("reports an amount difference and a state difference on matched orders", () => {
    const r = reconcile({
      day: DAY,
      payments: [pay("MPa", 1990), pay("MPb", 500)],
      refunds: [],
      orders: [order("a", 1980, "2026-11-20T10:00:00"), order("b", 500, null, "paying")],
      ourRefunds: [],
    });
    expect(kinds(r)).toEqual(["amount_mismatch:", "state_mismatch:"]);
    expect(r.mismatches[1]).toMatchObject({ orderId: "b", ours: { state: "paying" } });
  });

  it("reports a payment WeChat reversed (REVOKED) that we still hold as paid", () => {
    const r = reconcile({
      day: DAY,
      payments: [pay("MPa", 100, "2026-11-20T10:00:00", "REVOKED")],
      refunds: [],
      orders: [order("a", 100, "2026-11-20T10:00:00")],
      ourRefunds: [],
    });
    expect(kinds(r)).toEqual(["state_mismatch:"]);
  });

  it("finds an order through any trade number it used, not only its first", () => {
    const o = { ...order("a", 100, "2026-11-20T10:00:00"), tradeNumbers: ["MPa", "MPa-2"] };
    const r = reconcile({
      day: DAY,
      payments: [pay("MPa-2", 100)],
      refunds: [],
      orders: [o],
      ourRefunds: [],
    });
    expect(r.mismatches).toEqual([]);
    expect(r.matched).toBe(1);
  });

  it("an order paid at 23:59:59 belongs to that day's bill, not to the next day's", () => {
    const late = order("a", 100, "2026-11-20T23:59:59");
    const same = reconcile({
      day: DAY,
      payments: [pay("MPa", 100, "2026-11-20T23:59:59")],
      refunds: [],
      orders: [late],
      ourRefunds: [],
    });
    expect(same.mismatches).toEqual([]);
    const next = reconcile({ day: "2026-11-21", payments: [], refunds: [], orders: [late], ourRefunds: [] });
    expect(next.mismatches).toEqual([]);
    // And one paid at 00:00:00 the next day is not expected in the earlier bill.
    const early = order("b", 100, "2026-11-21T00:00:00");
    expect(
      reconcile({ day: DAY, payments: [], refunds: [], orders: [early], ourRefunds: [] }).mismatches,
    ).toEqual([]);
  });

  it("unpaid orders never count as missing at WeChat", () => {
    const r = reconcile({
      day: DAY,
      payments: [],
      refunds: [],
      orders: [order("a", 100, null, "expired"), order("b", 100, null, "paying")],
      ourRefunds: [],
    });
    expect(r.mismatches).toEqual([]);
  });

  it("refund lines: amount, final state, unknown here, and missing at WeChat are refund mismatches", () => {
    const orders = [order("a", 5000, "2026-11-19T10:00:00", "partially_refunded")];
    const r = reconcile({
      day: DAY,
      payments: [],
      refunds: [
        billRefund("RFr1", "MPa", 1000),
        billRefund("RFr2", "MPa", 500, "REFUNDCLOSE"),
        billRefund("RFx", "MPa", 700),
      ],
      orders,
      ourRefunds: [
        ourRefund("r1", "a", 1100),
        ourRefund("r2", "a", 500, "succeeded"),
        ourRefund("r3", "a", 300),
      ],
    });
    expect(kinds(r)).toEqual([
      "refund_mismatch:amount",
      "refund_mismatch:state",
      "refund_mismatch:missing_here",
      "refund_mismatch:missing_at_wechat",
    ]);
    expect(r.mismatches.map((m) => m.outRefundNo)).toEqual(["RFr1", "RFr2", "RFx", "RFr3"]);
    expect(r.mismatches[2]!.orderId).toBe("a"); // linked through the bill's out_trade_no
    expect(r.counts.refund_mismatch).toBe(4);
    expect(r.matched).toBe(0);
  });

  it("a PROCESSING snapshot in the bill is not a difference, whatever ours says now", () => {
    const r = reconcile({
      day: DAY,
      payments: [],
      refunds: [billRefund("RFr1", "MPa", 100, "PROCESSING"), billRefund("RFr2", "MPa", 100, "SUCCESS")],
      orders: [],
      ourRefunds: [ourRefund("r1", "a", 100, "succeeded"), ourRefund("r2", "a", 100, "processing")],
    });
    expect(r.mismatches).toEqual([]);
    expect(r.matched).toBe(2);
  });

  it("our refunds of other days are not expected in this bill", () => {
    const r = reconcile({
      day: DAY,
      payments: [],
      refunds: [],
      orders: [],
      ourRefunds: [ourRefund("r1", "a", 100, "succeeded", "2026-11-21T00:00:01")],
    });
    expect(r.mismatches).toEqual([]);
  });
});
