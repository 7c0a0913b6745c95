/**
 * Refunds: one row per refund intent, scoped by merchant. State changes are conditional on the
 * state the caller read (like orders), so a notify and a status job racing make one move, not two.
 */
import type { RefundState } from "@minipay/shared";
import type { ListPosition } from "./orders";
import { num, returningRows, uniqueViolation, type Manager } from "./rows";

export interface RefundRecord {
  id: string;
  merchantId: string;
  orderId: string;
  outTradeNo: string;
  outRefundNo: string;
  refundId: string | null;
  amountFen: number;
  reason: string | null;
  state: RefundState;
  idempotencyKey: string;
  requestHash: string;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  succeededAt: Date | null;
}

export interface NewRefund {
  merchantId: string;
  orderId: string;
  outTradeNo: string;
  outRefundNo: string;
  amountFen: number;
  reason: string | null;
  idempotencyKey: string;
  requestHash: string;
  now: Date;
}

export interface RefundFilter {
  states?: RefundState[];
  orderId?: string;
}

interface RefundRow {
  id: string;
  merchant_id: string;
  order_id: string;
  out_trade_no: string;
  out_refund_no: string;
  refund_id: string | null;
  amount_fen: string;
  reason: string | null;
  state: RefundState;
  idempotency_key: string;
  request_hash: string;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  succeeded_at: Date | null;
}

function toRefund(r: RefundRow): RefundRecord {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    orderId: r.order_id,
    outTradeNo: r.out_trade_no,
    outRefundNo: r.out_refund_no,
    refundId: r.refund_id,
    amountFen: num(r.amount_fen),
    reason: r.reason,
    state: r.state,
    idempotencyKey: r.idempotency_key,
    requestHash: r.request_hash,
    lastError: r.last_error,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    succeededAt: r.succeeded_at ? new Date(r.succeeded_at) : null,
  };
}

export class RefundsRepo {
  constructor(private readonly m: Manager) {}

  /** Insert; null when the merchant already used this Idempotency-Key (a concurrent twin won). */
  async insert(n: NewRefund): Promise<RefundRecord | null> {
    try {
      const rows: RefundRow[] = await this.m.query(
        `INSERT INTO refunds (merchant_id, order_id, out_trade_no, out_refund_no, amount_fen, reason, state,
           idempotency_key, request_hash, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $9) RETURNING *`,
        [
          n.merchantId,
          n.orderId,
          n.outTradeNo,
          n.outRefundNo,
          n.amountFen,
          n.reason,
          n.idempotencyKey,
          n.requestHash,
          n.now,
        ],
      );
      return toRefund(rows[0]!);
    } catch (err) {
      if (uniqueViolation(err) === "refunds_idempotency_key") return null;
      throw err;
    }
  }

  async byId(merchantId: string, id: string): Promise<RefundRecord | null> {
    const rows: RefundRow[] = await this.m.query(`SELECT * FROM refunds WHERE id = $1 AND merchant_id = $2`, [
      id,
      merchantId,
    ]);
    return rows[0] ? toRefund(rows[0]) : null;
  }

  async byIdempotencyKey(merchantId: string, key: string): Promise<RefundRecord | null> {
    const rows: RefundRow[] = await this.m.query(
      `SELECT * FROM refunds WHERE merchant_id = $1 AND idempotency_key = $2`,
      [merchantId, key],
    );
    return rows[0] ? toRefund(rows[0]) : null;
  }

  async byOutRefundNo(merchantId: string, outRefundNo: string): Promise<RefundRecord | null> {
    const rows: RefundRow[] = await this.m.query(
      `SELECT * FROM refunds WHERE merchant_id = $1 AND out_refund_no = $2`,
      [merchantId, outRefundNo],
    );
    return rows[0] ? toRefund(rows[0]) : null;
  }

  /** Inside a transaction, after the order row is locked: the refund row locked too. */
  async lock(merchantId: string, id: string): Promise<RefundRecord | null> {
    const rows: RefundRow[] = await this.m.query(
      `SELECT * FROM refunds WHERE id = $1 AND merchant_id = $2 FOR UPDATE`,
      [id, merchantId],
    );
    return rows[0] ? toRefund(rows[0]) : null;
  }

  /** A merchant's refunds requested in [from, to), for reconciliation against WeChat's bill. */
  async requestedBetween(merchantId: string, from: Date, to: Date): Promise<RefundRecord[]> {
    const rows: RefundRow[] = await this.m.query(
      `SELECT * FROM refunds WHERE merchant_id = $1 AND created_at >= $2 AND created_at < $3 ORDER BY created_at, id`,
      [merchantId, from, to],
    );
    return rows.map(toRefund);
  }

  /** Every refund of an order, oldest first. */
  async forOrder(orderId: string): Promise<RefundRecord[]> {
    const rows: RefundRow[] = await this.m.query(
      `SELECT * FROM refunds WHERE order_id = $1 ORDER BY created_at, id`,
      [orderId],
    );
    return rows.map(toRefund);
  }

  /** Move the state only if it is still `from`; false when someone else moved it first. */
  async move(
    id: string,
    from: RefundState,
    to: RefundState,
    set: { refundId?: string | null; succeededAt?: Date | null; lastError?: string | null; now: Date },
  ): Promise<boolean> {
    const res = await this.m.query(
      `UPDATE refunds SET state = $3, updated_at = $4, refund_id = COALESCE($5, refund_id),
         succeeded_at = COALESCE($6, succeeded_at),
         last_error = CASE WHEN $7::boolean THEN $8::text ELSE last_error END
       WHERE id = $1 AND state = $2 RETURNING id`,
      [
        id,
        from,
        to,
        set.now,
        set.refundId ?? null,
        set.succeededAt ?? null,
        set.lastError !== undefined,
        set.lastError ?? null,
      ],
    );
    return returningRows(res).length > 0;
  }

  /** Note what went wrong last without moving the state (a timeout, WeChat busy, ABNORMAL). */
  async noteError(id: string, code: string | null, now: Date): Promise<void> {
    await this.m.query(`UPDATE refunds SET last_error = $2, updated_at = $3 WHERE id = $1`, [id, code, now]);
  }

  /** Add a succeeded refund to the order's refunded total (the orders CHECK keeps it ≤ the total). */
  async addToOrderRefunded(orderId: string, fen: number): Promise<number> {
    const rows = returningRows<{ refunded_fen: string }>(
      await this.m.query(
        `UPDATE orders SET refunded_fen = refunded_fen + $2, updated_at = now() WHERE id = $1 RETURNING refunded_fen`,
        [orderId, fen],
      ),
    );
    return num(rows[0]?.refunded_fen);
  }

  /** The merchant's refunds, newest first by (created_at, id), after `after` (keyset). */
  async page(
    merchantId: string,
    q: { filter: RefundFilter; limit: number; after: ListPosition | null },
  ): Promise<RefundRecord[]> {
    const { filter: f, limit, after } = q;
    const rows: RefundRow[] = await this.m.query(
      `SELECT * FROM refunds WHERE merchant_id = $1
         AND ($2::text[] IS NULL OR state = ANY($2::text[]))
         AND ($3::uuid IS NULL OR order_id = $3)
         AND ($4::timestamptz IS NULL OR (created_at, id) < ($4::timestamptz, $5::uuid))
       ORDER BY created_at DESC, id DESC LIMIT $6`,
      [
        merchantId,
        f.states && f.states.length > 0 ? f.states : null,
        f.orderId ?? null,
        after?.createdAt ?? null,
        after?.id ?? null,
        limit,
      ],
    );
    return rows.map(toRefund);
  }
}
