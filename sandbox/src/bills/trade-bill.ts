/**
 * The daily trade bill, one text for v2 downloadbill and the v3 file: a UTF-8 BOM, a plain header,
 * one row per payment and per refund dated that Beijing day, every field prefixed with a back-quote,
 * then a summary header and one summary row; CRLF line ends; amounts in yuan.
 */
import type { SandboxOrder, SandboxRefund } from "../state/store";

export const BILL_TYPES = ["ALL", "SUCCESS", "REFUND"] as const;
export type BillType = (typeof BILL_TYPES)[number];

const DAY_MS = 86_400_000;
const BEIJING_MS = 8 * 3_600_000;

// The headers in runs: the SUCCESS bill is the ALL bill without its refund columns.
const ORDER_COLUMNS = [
  "交易时间",
  "公众账号ID",
  "商户号",
  "特约商户号",
  "设备号",
  "微信订单号",
  "商户订单号",
  "用户标识",
  "交易类型",
  "交易状态",
  "付款银行",
  "货币种类",
  "应结订单金额",
  "代金券金额",
] as const;
const REFUND_COLUMNS = [
  "微信退款单号",
  "商户退款单号",
  "退款金额",
  "充值券退款金额",
  "退款类型",
  "退款状态",
] as const;
const FEE_COLUMNS = ["商品名称", "商户数据包", "手续费", "费率", "订单金额"] as const;

const ALL_COLUMNS = [
  ...ORDER_COLUMNS,
  ...REFUND_COLUMNS,
  ...FEE_COLUMNS,
  "申请退款金额",
  "费率备注",
] as const;
type Column = (typeof ALL_COLUMNS)[number];

const SUCCESS_COLUMNS: Column[] = [...ORDER_COLUMNS, ...FEE_COLUMNS, "费率备注"];

const COLUMNS: Record<BillType, readonly Column[]> = {
  ALL: ALL_COLUMNS,
  SUCCESS: SUCCESS_COLUMNS,
  // ASSUMPTION: the REFUND bill's current header is not documented; it reuses the ALL header.
  REFUND: ALL_COLUMNS,
};

const SUMMARY_HEADER =
  "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";

// ASSUMPTION: a flat 0.60% rate (a common rate for mini-program merchants); the fee is rounded to
// the fen, half up, and printed with WeChat's five decimals.
const RATE = "0.60%";
const feeFen = (fen: number) => Math.floor((fen * 6 + 500) / 1000);

/** Fen as yuan with two decimals, by string arithmetic. */
export function yuan(fen: number): string {
  const sign = fen < 0 ? "-" : "";
  const a = Math.abs(fen);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, "0")}`;
}

/**
 * A summary number as the documented sample prints them (`45.0`, `0.47`, `0.0`).
 * ASSUMPTION: that is Java's Double.toString, so 0.50 yuan prints `0.5` and 12 rows print `12.0`.
 */
function summaryNumber(hundredths: number): string {
  const fixed = yuan(hundredths).replace(/0$/, "");
  return fixed.endsWith(".") ? `${fixed}0` : fixed;
}

/** `yyyy-MM-dd HH:mm:ss`, Beijing time. */
function beijingTime(ms: number): string {
  return new Date(ms + BEIJING_MS).toISOString().slice(0, 19).replace("T", " ");
}

/** 00:00 Beijing of a calendar date, or null when the date does not exist. */
export function beijingDayStart(y: number, m: number, d: number): number | null {
  const start = Date.UTC(y, m - 1, d) - BEIJING_MS;
  const back = new Date(start + BEIJING_MS);
  return back.getUTCFullYear() === y && back.getUTCMonth() === m - 1 && back.getUTCDate() === d
    ? start
    : null;
}

const paid = (o: SandboxOrder) => o.tradeState === "SUCCESS" || o.tradeState === "REFUND";
// ASSUMPTION: ABNORMAL shows as CHANGE, WeChat's bill word for a refund that needs manual handling.
const REFUND_STATUS = {
  PROCESSING: "PROCESSING",
  SUCCESS: "SUCCESS",
  CLOSED: "REFUNDCLOSE",
  ABNORMAL: "CHANGE",
};

interface Row {
  at: number;
  fields: Record<Column, string>;
  settleFen: number;
  refundFen: number;
  feeFen: number;
  orderFen: number;
  appliedRefundFen: number;
}

function paymentRow(o: SandboxOrder): Row {
  const fee = feeFen(o.totalFen);
  return {
    at: o.successTime!,
    settleFen: o.totalFen,
    refundFen: 0,
    feeFen: fee,
    orderFen: o.totalFen,
    appliedRefundFen: 0,
    fields: {
      交易时间: beijingTime(o.successTime!),
      公众账号ID: o.appid,
      商户号: o.mchid,
      特约商户号: "0", // direct merchants
      设备号: "", // the sandbox keeps no device_info
      微信订单号: o.transactionId ?? "",
      商户订单号: o.outTradeNo,
      用户标识: o.openid ?? "",
      交易类型: o.tradeType,
      交易状态: "SUCCESS",
      付款银行: "OTHERS", // the bank_type the sandbox reports everywhere
      货币种类: "CNY",
      应结订单金额: yuan(o.totalFen), // no coupons in the sandbox: settlement = order amount
      代金券金额: "0.00",
      微信退款单号: "0",
      商户退款单号: "0",
      退款金额: "0.00",
      充值券退款金额: "0.00",
      退款类型: "",
      退款状态: "",
      商品名称: o.description,
      商户数据包: o.attach ?? "",
      手续费: `${yuan(fee)}000`,
      费率: RATE,
      订单金额: yuan(o.totalFen),
      申请退款金额: "0.00",
      费率备注: "",
    },
  };
}

function refundRow(r: SandboxRefund, o: SandboxOrder): Row {
  return {
    at: r.createdAt,
    settleFen: 0,
    refundFen: r.refundFen,
    feeFen: 0,
    orderFen: 0,
    appliedRefundFen: r.refundFen,
    fields: {
      交易时间: beijingTime(r.createdAt), // dated when the refund was accepted
      公众账号ID: o.appid,
      商户号: o.mchid,
      特约商户号: "0",
      设备号: "",
      微信订单号: r.transactionId ?? "",
      商户订单号: r.outTradeNo,
      用户标识: o.openid ?? "",
      交易类型: o.tradeType,
      交易状态: "REFUND",
      付款银行: "OTHERS",
      货币种类: "CNY",
      应结订单金额: "0.00",
      代金券金额: "0.00",
      微信退款单号: r.refundId,
      商户退款单号: r.outRefundNo,
      退款金额: yuan(r.refundFen),
      充值券退款金额: "0.00",
      退款类型: "ORIGINAL",
      退款状态: REFUND_STATUS[r.status], // a snapshot, never updated
      商品名称: o.description,
      商户数据包: o.attach ?? "",
      // ASSUMPTION: refund rows carry no fee (0.00000), as in the documented sample row.
      手续费: "0.00000",
      费率: RATE,
      订单金额: "0.00",
      申请退款金额: yuan(r.refundFen),
      费率备注: "",
    },
  };
}

const line = (values: string[]) => values.map((v) => `\`${v}`).join(",");

/**
 * The bill of one merchant for the Beijing day starting at `dayStart`, or null when that day had
 * no payment and no refund at all (WeChat's "No Bill Exist").
 */
export function tradeBill(
  history: { orders: SandboxOrder[]; refunds: SandboxRefund[] },
  dayStart: number,
  type: BillType,
): string | null {
  const inDay = (t: number | null) => t !== null && t >= dayStart && t < dayStart + DAY_MS;
  const payments = history.orders.filter((o) => paid(o) && inDay(o.successTime)).map(paymentRow);
  const orderOf = new Map(history.orders.map((o) => [o.outTradeNo, o]));
  const refunds = history.refunds
    .filter((r) => inDay(r.createdAt) && orderOf.has(r.outTradeNo))
    .map((r) => refundRow(r, orderOf.get(r.outTradeNo)!));
  if (payments.length + refunds.length === 0) return null;
  // ASSUMPTION: a day with trades has a bill of every type, even if the chosen type has no rows;
  // rows come in time order.
  const rows = (type === "SUCCESS" ? payments : type === "REFUND" ? refunds : [...payments, ...refunds]).sort(
    (a, b) => a.at - b.at,
  );
  const columns = COLUMNS[type];
  const sum = (k: "settleFen" | "refundFen" | "feeFen" | "orderFen" | "appliedRefundFen") =>
    rows.reduce((n, r) => n + r[k], 0);
  const lines = [
    columns.join(","),
    ...rows.map((r) => line(columns.map((c) => r.fields[c]))),
    SUMMARY_HEADER,
    line([
      summaryNumber(rows.length * 100),
      summaryNumber(sum("settleFen")),
      summaryNumber(sum("refundFen")),
      summaryNumber(0),
      summaryNumber(sum("feeFen")),
      summaryNumber(sum("orderFen")),
      summaryNumber(sum("appliedRefundFen")),
    ]),
  ];
  // ASSUMPTION: the last line ends with CRLF too.
  return `\ufeff${lines.join("\r\n")}\r\n`;
}
