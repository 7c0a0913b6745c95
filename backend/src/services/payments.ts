/**
 * Payments: ask WeChat for a prepay (reusing a live one), hand back exactly what
 * wx.requestPayment takes, and verify by asking WeChat rather than believing the client.
 */
import QRCode from "qrcode";
import type { Order, PaymentMethod, PaymentResponse } from "@minipay/shared";
import { AppError } from "../domain/errors";
import { WechatUpstreamError } from "../wechat/errors";
import type { PaymentGateway } from "../wechat/types";
import type { ServiceDeps } from "./deps";
import { loadOrderView, type OrderRow } from "./order-view";
import type { OrderService } from "./orders";
import { settle, type MerchantIdentity } from "./settle";
import { transition } from "./transition";

/** WeChat's prepay_id lives 2 h; we stop reusing it 10 min early so a shopper never gets a dead one. */
const PREPAY_LIFETIME_MS = 2 * 3600_000;
const PREPAY_SAFETY_MS = 10 * 60_000;

export function mapUpstream(err: unknown): never {
  if (err instanceof WechatUpstreamError) {
    if (err.failure === "timeout" || err.failure === "network")
      throw new AppError("UPSTREAM_UNAVAILABLE", undefined, undefined, { "Retry-After": "2" });
    if (err.wechatCode === "ORDERPAID" || err.wechatCode === "ORDER_PAID")
      throw new AppError("ORDER_ALREADY_PAID");
    if (err.wechatCode === "ORDERCLOSED" || err.wechatCode === "ORDER_CLOSED")
      throw new AppError("ORDER_NOT_PAYABLE");
    throw new AppError("UPSTREAM_ERROR");
  }
  throw err;
}

export class PaymentService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly orders: OrderService,
    private readonly gateway: () => PaymentGateway,
    private readonly merchant: () => MerchantIdentity,
    private readonly notifyUrl: () => string,
  ) {}

  async create(
    user: { id: string; openid: string },
    orderId: string,
    method: PaymentMethod,
    clientIp: string,
  ): Promise<PaymentResponse> {
    await this.orders.ownRow(user.id, orderId); // ownership before anything else
    const gw = this.gateway();
    return this.deps.ds.transaction(async (em) => {
      // Row lock: two taps on "pay" serialise here, so the second reuses the first's prepay.
      const [order]: OrderRow[] = await em.query(`SELECT * FROM orders WHERE id = $1 FOR UPDATE`, [orderId]);
      if (!order) throw new AppError("ORDER_NOT_FOUND");
      if (["paid", "refunding", "partially_refunded", "refunded"].includes(order.state))
        throw new AppError("ORDER_ALREADY_PAID");
      if (order.state !== "created" && order.state !== "paying") throw new AppError("ORDER_NOT_PAYABLE");
      const now = this.deps.now();
      if (new Date(order.expires_at) <= now) throw new AppError("ORDER_EXPIRED");

      const [live] = await em.query(
        `SELECT * FROM payment_attempts WHERE order_id = $1 AND method = $2 AND expires_at > $3 ORDER BY created_at DESC LIMIT 1`,
        [orderId, method, now],
      );
      let attempt = live;
      if (!attempt) {
        let result;
        try {
          result = await gw.prepay({
            kind: method,
            outTradeNo: order.out_trade_no,
            description: order.description,
            totalFen: Number(order.total_fen),
            openid: method === "jsapi" ? user.openid : undefined,
            notifyUrl: this.notifyUrl(),
            clientIp,
            timeExpire: new Date(order.expires_at),
            productId: method === "native" ? order.out_trade_no : undefined,
          });
        } catch (err) {
          mapUpstream(err);
        }
        const expiresAt = new Date(
          Math.min(
            now.getTime() + PREPAY_LIFETIME_MS - PREPAY_SAFETY_MS,
            new Date(order.expires_at).getTime(),
          ),
        );
        [attempt] = await em.query(
          `INSERT INTO payment_attempts (order_id, method, prepay_id, code_url, expires_at, created_at) VALUES ($1,$2,$3,$4,$5,$6) RETURNING *`,
          [orderId, method, result.prepayId, result.codeUrl, expiresAt, now],
        );
        if (order.state === "created")
          await transition(em, order, "paying", "api", { method, apiVersion: gw.apiVersion });
      }
      const prepayExpiresAt = new Date(attempt.expires_at).toISOString();
      if (method === "jsapi") {
        if (!attempt.prepay_id) throw new AppError("UPSTREAM_ERROR");
        return { method, orderId, params: gw.requestPaymentParams(attempt.prepay_id), prepayExpiresAt };
      }
      if (!attempt.code_url) throw new AppError("UPSTREAM_ERROR");
      const qrDataUrl = await QRCode.toDataURL(attempt.code_url, { margin: 1, width: 256 });
      return { method, orderId, codeUrl: attempt.code_url, qrDataUrl, prepayExpiresAt };
    });
  }

  /** Ask WeChat about the order and apply its answer through the one settle path. */
  async verify(userId: string, orderId: string): Promise<Order> {
    const row = await this.orders.ownRow(userId, orderId);
    if (row.state === "created") return loadOrderView(this.deps.ds, row, true); // never sent to WeChat
    let facts;
    try {
      facts = await this.gateway().queryOrder(row.out_trade_no);
    } catch (err) {
      mapUpstream(err);
    }
    if (facts) await settle(this.deps, this.merchant(), facts, "verify");
    return this.orders.get(userId, orderId);
  }
}
