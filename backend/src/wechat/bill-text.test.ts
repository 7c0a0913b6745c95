import { BillFormatError, parseTradeBill, yuanToFen } from "./bill-text";

const HEADER =
  "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
const SUMMARY_HEADER =
  "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";
const line = (f: string[]) => f.map((x) => `\`${x}`).join(",");
// prettier-ignore
const PAY = ["2026-11-20 23:59:59","wx1","1900000109","0","","4200000001","MP001","oUser","JSAPI","SUCCESS","OTHERS","CNY","19.80","0.00","0","0","0.00","0.00","","","茶, 两包","","0.12000","0.60%","19.80","0.00",""];
// prettier-ignore
const REF = ["2026-11-20 12:00:01","wx1","1900000109","0","","4200000001","MP001","oUser","JSAPI","REFUND","OTHERS","CNY","0.00","0.00","5000001","RF001","5.00","0.00","ORIGINAL","SUCCESS","茶, 两包","","0.00000","0.60%","0.00","5.00",""];

const bill = (rows: string[][], summary: string[]) =>
  `\ufeff${[HEADER, ...rows.map(line), SUMMARY_HEADER, line(summary)].join("\r\n")}\r\n`;

describe("yuanToFen", () => {
  it("converts by string arithmetic", () => {
    expect(yuanToFen("19.80", "x")).toBe(1980);
    expect(yuanToFen("0.5", "x")).toBe(50);
    expect(yuanToFen("45.0", "x")).toBe(4500);
    expect(yuanToFen("0.01000", "x")).toBe(1);
    expect(yuanToFen("1", "x")).toBe(100);
    expect(() => yuanToFen("1.234", "x")).toThrow(BillFormatError);
    expect(() => yuanToFen("abc", "x")).toThrow(BillFormatError);
  });
});

describe("parseTradeBill", () => {
  it("reads payment and refund lines by column name, with a comma inside a field", () => {
    const b = parseTradeBill(bill([PAY, REF], ["2.0", "19.80", "5.00", "0.0", "0.12", "19.80", "5.00"]));
    expect(b.rows).toBe(2);
    expect(b.payments).toEqual([
      {
        outTradeNo: "MP001",
        transactionId: "4200000001",
        tradeTime: new Date("2026-11-20T15:59:59Z"),
        amountFen: 1980,
        state: "SUCCESS",
      },
    ]);
    expect(b.refunds).toEqual([
      {
        outTradeNo: "MP001",
        transactionId: "4200000001",
        outRefundNo: "RF001",
        refundId: "5000001",
        tradeTime: new Date("2026-11-20T04:00:01Z"),
        amountFen: 500,
        status: "SUCCESS",
      },
    ]);
  });

  it("accepts a bill without BOM and with LF line ends", () => {
    const text = bill([PAY], ["1.0", "19.80", "0.00", "0.0", "0.12", "19.80", "0.00"])
      .replace(/^\ufeff/, "")
      .replace(/\r\n/g, "\n");
    expect(parseTradeBill(text).payments).toHaveLength(1);
  });

  it("refuses a bill whose summary disagrees with its lines", () => {
    expect(() =>
      parseTradeBill(bill([PAY], ["2.0", "19.80", "0.00", "0.0", "0.12", "19.80", "0.00"])),
    ).toThrow(/counts 2 lines, there are 1/);
    expect(() =>
      parseTradeBill(bill([PAY], ["1.0", "19.80", "0.00", "0.0", "0.12", "19.81", "0.00"])),
    ).toThrow(/订单总金额/);
  });

  it("refuses a cut file, a line without back-quotes and a line of the wrong width", () => {
    const whole = bill([PAY], ["1.0", "19.80", "0.00", "0.0", "0.12", "19.80", "0.00"]);
    expect(() => parseTradeBill(whole.split("\r\n").slice(0, 2).join("\r\n"))).toThrow(BillFormatError);
    expect(() => parseTradeBill(whole.replace("`2026", "2026"))).toThrow(/back-quote/);
    expect(() => parseTradeBill(whole.replace(",`JSAPI", ""))).toThrow(/fields/);
  });
});
