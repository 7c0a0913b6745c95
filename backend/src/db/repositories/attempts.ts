/**
 * Payment attempts: the prepay WeChat gave us for an order and method. At most one is live per
 * (order, method) (a partial unique index), which is what lets two concurrent taps on "pay"
 * converge without a lock held across the WeChat call.
 */
import type { PaymentMethod } from "@minipay/shared";
import type { Manager } from "./rows";
import type { AttemptRecord } from "./types";

interface AttemptRow {
  id: string;
  order_id: string;
  out_trade_no: string;
  method: PaymentMethod;
  prepay_id: string | null;
  code_url: string | null;
  expires_at: Date;
  created_at: Date;
}

const toAttempt = (r: AttemptRow): AttemptRecord => ({
  id: r.id,
  orderId: r.order_id,
  outTradeNo: r.out_trade_no,
  method: r.method,
  prepayId: r.prepay_id,
  codeUrl: r.code_url,
  expiresAt: new Date(r.expires_at),
  createdAt: new Date(r.created_at),
});

export class AttemptsRepo {
  constructor(private readonly m: Manager) {}

  /** Every attempt of an order, oldest first, and whether it was retired. */
  async forOrder(orderId: string): Promise<(AttemptRecord & { superseded: boolean })[]> {
    const rows: (AttemptRow & { superseded_at: Date | null })[] = await this.m.query(
      `SELECT * FROM payment_attempts WHERE order_id = $1 ORDER BY created_at, id`,
      [orderId],
    );
    return rows.map((r) => ({ ...toAttempt(r), superseded: r.superseded_at !== null }));
  }

  /** The live attempt still usable at `now`, if any. */
  async live(orderId: string, method: PaymentMethod, now: Date): Promise<AttemptRecord | null> {
    const rows: AttemptRow[] = await this.m.query(
      // Only on a number still usable: a prepay for a number being closed is never handed out.
      `SELECT a.* FROM payment_attempts a
       LEFT JOIN trade_numbers t ON t.order_id = a.order_id AND t.out_trade_no = a.out_trade_no
       WHERE a.order_id = $1 AND a.method = $2 AND a.superseded_at IS NULL AND a.expires_at > $3
         AND t.closing_at IS NULL AND t.closed_at IS NULL`,
      [orderId, method, now],
    );
    return rows[0] ? toAttempt(rows[0]) : null;
  }

  /** Retire a live attempt whose prepay has run out, so a fresh one can take its place. */
  async supersedeExpired(orderId: string, method: PaymentMethod, now: Date): Promise<void> {
    await this.m.query(
      `UPDATE payment_attempts SET superseded_at = $3
       WHERE order_id = $1 AND method = $2 AND superseded_at IS NULL AND expires_at <= $3`,
      [orderId, method, now],
    );
  }

  /** Retire the live attempts of a WeChat order number that was closed. */
  async supersedeFor(orderId: string, outTradeNo: string, now: Date): Promise<void> {
    await this.m.query(
      `UPDATE payment_attempts SET superseded_at = $3 WHERE order_id = $1 AND out_trade_no = $2 AND superseded_at IS NULL`,
      [orderId, outTradeNo, now],
    );
  }

  /** Insert as the live attempt; null when another request's attempt is already live. */
  async insertLive(a: Omit<AttemptRecord, "id">): Promise<AttemptRecord | null> {
    // ON CONFLICT rather than catching the violation: an error would abort the caller's transaction.
    const rows: AttemptRow[] = await this.m.query(
      `INSERT INTO payment_attempts (order_id, out_trade_no, method, prepay_id, code_url, expires_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (order_id, method) WHERE superseded_at IS NULL DO NOTHING RETURNING *`,
      [a.orderId, a.outTradeNo, a.method, a.prepayId, a.codeUrl, a.expiresAt, a.createdAt],
    );
    return rows[0] ? toAttempt(rows[0]) : null;
  }
}
