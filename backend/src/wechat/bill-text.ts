/**
 * The trade bill text, as both v2 downloadbill and the v3 bill file deliver it (docs: WeChat's
 * 交易账单文件格式说明, https://pay.weixin.qq.com/docs/merchant/products/bill-download/format-trade.html):
 * an optional UTF-8 BOM, a header line of plain column names, detail lines whose every field starts
 * with a back-quote, then a summary header (starting 总交易单数) and one summary line. Amounts are
 * yuan. Fields are not quoted, so a line is split on the two characters `,\`` (never on a bare
 * comma: a product name may hold one). Columns are found by name, never by position.
 */
import type { BillPayment, BillRefund } from "../domain/reconcile";

export class BillFormatError extends Error {
  constructor(readonly problem: string) {
    super(`trade bill: ${problem}`);
    this.name = "BillFormatError";
  }
}

/** The v3 file does not hash to the value tradebill stated: damaged or altered on the way. */
export class BillHashError extends Error {
  constructor(
    readonly hashType: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`trade bill: ${hashType} of the file is ${actual}, tradebill said ${expected}`);
    this.name = "BillHashError";
  }
}

export interface ParsedBill {
  payments: BillPayment[];
  refunds: BillRefund[];
  /** Detail lines (payments + refunds), as the summary counts them. */
  rows: number;
}

/** "12.34" yuan → 1234 fen, by string arithmetic (never through a float). */
export function yuanToFen(s: string, what: string): number {
  const m = /^(-)?(\d+)(?:\.(\d{1,2})0*)?$/.exec(s.trim());
  if (!m) throw new BillFormatError(`${what} is not an amount: ${JSON.stringify(s.slice(0, 20))}`);
  const fen = Number(m[2]) * 100 + Number((m[3] ?? "").padEnd(2, "0"));
  return m[1] ? -fen : fen;
}

/** `yyyy-MM-dd HH:mm:ss` in Beijing time → the instant. */
function beijingTime(s: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s);
  const d = m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`) : null;
  if (!d || Number.isNaN(d.getTime()))
    throw new BillFormatError(`交易时间 is not a time: ${JSON.stringify(s)}`);
  return d;
}

function fields(line: string, n: number, where: string): string[] {
  if (!line.startsWith("`")) throw new BillFormatError(`${where} does not start with a back-quote`);
  const f = line.slice(1).split(",`");
  if (f.length !== n) throw new BillFormatError(`${where} has ${f.length} fields, the header has ${n}`);
  return f;
}

export function parseTradeBill(text: string): ParsedBill {
  const lines = text
    .replace(/^\ufeff/, "")
    .split(/\r?\n/)
    .filter((l) => l !== "");
  const header = lines[0]?.split(",") ?? [];
  const col = (name: string, ...alt: string[]) => {
    for (const n of [name, ...alt]) {
      const i = header.indexOf(n);
      if (i >= 0) return i;
    }
    return -1;
  };
  const need = (name: string, ...alt: string[]) => {
    const i = col(name, ...alt);
    if (i < 0) throw new BillFormatError(`the header has no ${name} column`);
    return i;
  };
  const c = {
    time: need("交易时间"),
    txn: need("微信订单号"),
    no: need("商户订单号"),
    state: need("交易状态"),
    amount: need("订单金额", "总金额", "应结订单金额"),
    refundNo: col("商户退款单号"),
    refundId: col("微信退款单号"),
    refundAmount: col("申请退款金额", "退款金额"),
    refundStatus: col("退款状态"),
  };
  const sumAt = lines.findIndex((l) => l.startsWith("总交易单数"));
  if (sumAt < 1 || sumAt !== lines.length - 2)
    throw new BillFormatError("no summary header and line at the end");
  const payments: BillPayment[] = [];
  const refunds: BillRefund[] = [];
  let orderSum = 0;
  let refundSum = 0;
  for (let i = 1; i < sumAt; i++) {
    const f = fields(lines[i]!, header.length, `line ${i + 1}`);
    const state = f[c.state]!;
    const base = { outTradeNo: f[c.no]!, transactionId: f[c.txn]!, tradeTime: beijingTime(f[c.time]!) };
    if (state === "REFUND") {
      if (c.refundNo < 0 || c.refundAmount < 0)
        throw new BillFormatError("a refund line but no refund columns");
      const amountFen = yuanToFen(f[c.refundAmount]!, "申请退款金额");
      refundSum += amountFen;
      refunds.push({
        ...base,
        outRefundNo: f[c.refundNo]!,
        refundId: c.refundId >= 0 ? f[c.refundId]! : "",
        amountFen,
        status: c.refundStatus >= 0 ? f[c.refundStatus]! : "",
      });
    } else {
      const amountFen = yuanToFen(f[c.amount]!, "订单金额");
      orderSum += amountFen;
      payments.push({ ...base, amountFen, state });
    }
  }
  // The summary must agree with the lines: a cut or altered file is refused, not half-read.
  const sumHeader = lines[sumAt]!.split(",");
  const sum = fields(lines[sumAt + 1]!, sumHeader.length, "the summary line");
  const total = (name: string) => {
    const i = sumHeader.indexOf(name);
    return i < 0 ? null : yuanToFen(sum[i]!, name);
  };
  const rows = sumAt - 1;
  const count = total("总交易单数");
  if (count !== rows * 100)
    throw new BillFormatError(`the summary counts ${count! / 100} lines, there are ${rows}`);
  const orders = total("订单总金额");
  if (orders !== null && orders !== orderSum)
    throw new BillFormatError(`订单总金额 ${orders} fen, the lines add up to ${orderSum}`);
  const refunded = total("申请退款总金额");
  if (refunded !== null && refunded !== refundSum)
    throw new BillFormatError(`申请退款总金额 ${refunded} fen, the lines add up to ${refundSum}`);
  return { payments, refunds, rows };
}
