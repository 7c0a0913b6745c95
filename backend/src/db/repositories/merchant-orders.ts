/**
 * What a merchant-API order has beyond the order row: the merchant's number, the body it was
 * created with (hashed), its method and the merchant's values, and the checkout token's hash.
 * Every read is scoped by merchant; the checkout token is the only key that is not.
 */
import type { MerchantPayMethod } from "@minipay/shared";
import { returningRows, type Manager } from "./rows";

export interface MerchantOrderRecord {
  orderId: string;
  merchantId: string;
  merchantOrderNo: string;
  idempotencyKey: string;
  requestHash: string;
  method: MerchantPayMethod;
  payerOpenid: string | null;
  attach: string | null;
  notifyUrl: string | null;
  returnUrl: string | null;
  checkoutTokenHash: string | null;
  lastQueryAt: Date | null;
  createdAt: Date;
}

interface Row {
  order_id: string;
  merchant_id: string;
  merchant_order_no: string;
  idempotency_key: string;
  request_hash: string;
  method: MerchantPayMethod;
  payer_openid: string | null;
  attach: string | null;
  notify_url: string | null;
  return_url: string | null;
  checkout_token_hash: string | null;
  last_query_at: Date | null;
  created_at: Date;
}

const toRecord = (r: Row): MerchantOrderRecord => ({
  orderId: r.order_id,
  merchantId: r.merchant_id,
  merchantOrderNo: r.merchant_order_no,
  idempotencyKey: r.idempotency_key,
  requestHash: r.request_hash,
  method: r.method,
  payerOpenid: r.payer_openid,
  attach: r.attach,
  notifyUrl: r.notify_url,
  returnUrl: r.return_url,
  checkoutTokenHash: r.checkout_token_hash,
  lastQueryAt: r.last_query_at ? new Date(r.last_query_at) : null,
  createdAt: new Date(r.created_at),
});

export type NewMerchantOrder = Omit<MerchantOrderRecord, "lastQueryAt">;

export class MerchantOrdersRepo {
  constructor(private readonly m: Manager) {}

  async insert(o: NewMerchantOrder): Promise<void> {
    await this.m.query(
      `INSERT INTO merchant_orders (order_id, merchant_id, merchant_order_no, idempotency_key, request_hash,
         method, payer_openid, attach, notify_url, return_url, checkout_token_hash, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        o.orderId,
        o.merchantId,
        o.merchantOrderNo,
        o.idempotencyKey,
        o.requestHash,
        o.method,
        o.payerOpenid,
        o.attach,
        o.notifyUrl,
        o.returnUrl,
        o.checkoutTokenHash,
        o.createdAt,
      ],
    );
  }

  async byNumber(merchantId: string, merchantOrderNo: string): Promise<MerchantOrderRecord | null> {
    const rows: Row[] = await this.m.query(
      `SELECT * FROM merchant_orders WHERE merchant_id = $1 AND merchant_order_no = $2`,
      [merchantId, merchantOrderNo],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** By our order id (for the webhook fan-out: an order's own notifyUrl). */
  async byOrderId(merchantId: string, orderId: string): Promise<MerchantOrderRecord | null> {
    const rows: Row[] = await this.m.query(
      `SELECT * FROM merchant_orders WHERE merchant_id = $1 AND order_id = $2`,
      [merchantId, orderId],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async byIdempotencyKey(merchantId: string, key: string): Promise<MerchantOrderRecord | null> {
    const rows: Row[] = await this.m.query(
      `SELECT * FROM merchant_orders WHERE merchant_id = $1 AND idempotency_key = $2`,
      [merchantId, key],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async byCheckoutTokenHash(hash: string): Promise<MerchantOrderRecord | null> {
    const rows: Row[] = await this.m.query(`SELECT * FROM merchant_orders WHERE checkout_token_hash = $1`, [
      hash,
    ]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /**
   * Claim the right to ask WeChat about the order now: true for one caller per `minGapMs` across
   * every process (a conditional update, so concurrent reads cannot both win).
   */
  async claimQuery(orderId: string, now: Date, minGapMs: number): Promise<boolean> {
    const res = await this.m.query(
      `UPDATE merchant_orders SET last_query_at = $2
       WHERE order_id = $1 AND (last_query_at IS NULL OR last_query_at <= $3) RETURNING order_id`,
      [orderId, now, new Date(now.getTime() - minGapMs)],
    );
    return returningRows(res).length > 0;
  }
}
