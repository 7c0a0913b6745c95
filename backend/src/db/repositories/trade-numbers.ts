/** The WeChat order numbers of each order: one per payment method it was tried with, closed when replaced. */
import type { PaymentMethod } from "@minipay/shared";
import type { Manager } from "./rows";
import type { TradeNumberRecord } from "./types";

interface Row {
  merchant_id: string;
  out_trade_no: string;
  order_id: string;
  method: PaymentMethod;
  appid: string | null;
  created_at: Date;
  closing_at: Date | null;
  closed_at: Date | null;
}

const toRecord = (r: Row): TradeNumberRecord => ({
  merchantId: r.merchant_id,
  outTradeNo: r.out_trade_no,
  orderId: r.order_id,
  method: r.method,
  appid: r.appid,
  createdAt: new Date(r.created_at),
  closingAt: r.closing_at ? new Date(r.closing_at) : null,
  closedAt: r.closed_at ? new Date(r.closed_at) : null,
});

export class TradeNumbersRepo {
  constructor(private readonly m: Manager) {}

  async forOrder(orderId: string): Promise<TradeNumberRecord[]> {
    const rows: Row[] = await this.m.query(
      `SELECT * FROM trade_numbers WHERE order_id = $1 ORDER BY created_at`,
      [orderId],
    );
    return rows.map(toRecord);
  }

  /** Record a number; a concurrent request that recorded it first wins (same number, same method). */
  /** Inside a transaction: one number, locked (a prepay being stored against a close). */
  async lock(merchantId: string, outTradeNo: string): Promise<TradeNumberRecord | null> {
    const rows: Row[] = await this.m.query(
      `SELECT * FROM trade_numbers WHERE merchant_id = $1 AND out_trade_no = $2 FOR UPDATE`,
      [merchantId, outTradeNo],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async markClosing(merchantId: string, outTradeNos: string[], at: Date): Promise<void> {
    if (outTradeNos.length === 0) return;
    await this.m.query(
      `UPDATE trade_numbers SET closing_at = COALESCE(closing_at, $3) WHERE merchant_id = $1 AND out_trade_no = ANY($2)`,
      [merchantId, outTradeNos, at],
    );
  }

  async add(t: Omit<TradeNumberRecord, "closedAt" | "closingAt">): Promise<void> {
    await this.m.query(
      `INSERT INTO trade_numbers (merchant_id, out_trade_no, order_id, method, appid, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [t.merchantId, t.outTradeNo, t.orderId, t.method, t.appid, t.createdAt],
    );
  }

  async markClosed(merchantId: string, outTradeNo: string, at: Date): Promise<void> {
    await this.m.query(
      `UPDATE trade_numbers SET closed_at = COALESCE(closed_at, $3) WHERE merchant_id = $1 AND out_trade_no = $2`,
      [merchantId, outTradeNo, at],
    );
  }
}
