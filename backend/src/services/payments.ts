/**
 * Payments: ask WeChat for a prepay (reusing a live one), hand back exactly what
 * wx.requestPayment takes, and verify by asking WeChat rather than believing the client.
 *
 * No WeChat call runs inside a database transaction: a slow WeChat must not hold row locks or the
 * pool connections that notifies need. Two concurrent taps both may ask WeChat, with the same
 * out_trade_no and parameters (WeChat answers a repeated prepay with the same order), and the
 * unique live-attempt index lets only one attempt be stored; the other tap returns it.
 */
import QRCode from "qrcode";
import { isPaid, isPayable, type Order, type PaymentMethod, type PaymentResponse } from "@minipay/shared";
import { AppError } from "../domain/errors";
import type { AttemptRecord, OrderRecord } from "../db/repositories";
import type { PaymentGateway } from "../wechat/types";
import type { MerchantIdentity, ServiceDeps } from "./deps";
import type { OrderService } from "./orders";
import { settle } from "./settle";
import { transition } from "./transition";
import { mapUpstream } from "./upstream-errors";

/** WeChat's prepay_id lives 2 h; we stop reusing it 10 min early so a shopper never gets a dead one. */
const PREPAY_LIFETIME_MS = 2 * 3600_000;
const PREPAY_SAFETY_MS = 10 * 60_000;

/** What payments need of a merchant: who it is, where WeChat notifies, and its gateway. */
export interface PayingMerchant extends MerchantIdentity {
  gateway: PaymentGateway;
  notifyUrl(kind: "pay" | "refund"): string;
}

function checkPayable(o: OrderRecord, now: Date): void {
  if (isPaid(o.state)) throw new AppError("ORDER_ALREADY_PAID");
  if (!isPayable(o.state)) throw new AppError("ORDER_NOT_PAYABLE");
  if (o.expiresAt <= now) throw new AppError("ORDER_EXPIRED");
}

export class PaymentService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly orders: OrderService,
  ) {}

  async create(
    m: PayingMerchant,
    user: { id: string; openid: string },
    orderId: string,
    method: PaymentMethod,
    clientIp: string,
  ): Promise<PaymentResponse> {
    const order = await this.orders.own(m.id, user.id, orderId); // ownership before anything else
    const now = this.deps.now();
    checkPayable(order, now);
    const { db } = this.deps;
    let attempt = await db.repos.attempts.live(order.id, method, now);
    if (!attempt) {
      let result;
      try {
        result = await m.gateway.prepay({
          kind: method,
          outTradeNo: order.outTradeNo,
          description: order.description,
          totalFen: order.totalFen,
          openid: method === "jsapi" ? user.openid : undefined,
          notifyUrl: m.notifyUrl("pay"),
          clientIp,
          timeExpire: order.expiresAt,
          productId: method === "native" ? order.outTradeNo : undefined,
        });
      } catch (err) {
        // A concurrent tap may have stored its attempt while ours failed on WeChat's re-entry rule.
        const theirs = await db.repos.attempts.live(order.id, method, this.deps.now());
        if (!theirs) mapUpstream(err);
        attempt = theirs;
      }
      if (!attempt) attempt = await this.store(m, order.id, method, result!, now);
    }
    return this.answer(m.gateway, orderId, attempt);
  }

  /** Short transaction after WeChat answered: store the attempt as the live one, move created → paying. */
  private async store(
    m: PayingMerchant,
    orderId: string,
    method: PaymentMethod,
    result: { prepayId: string | null; codeUrl: string | null },
    now: Date,
  ): Promise<AttemptRecord> {
    return this.deps.db.transaction(async (r) => {
      const order = await r.orders.lock(m.id, orderId);
      if (!order) throw new AppError("ORDER_NOT_FOUND");
      // Paid or closed while we were asking WeChat: the prepay must not be handed out.
      checkPayable(order, this.deps.now());
      await r.attempts.supersedeExpired(orderId, method, now);
      const expiresAt = new Date(
        Math.min(now.getTime() + PREPAY_LIFETIME_MS - PREPAY_SAFETY_MS, order.expiresAt.getTime()),
      );
      const stored = await r.attempts.insertLive({
        orderId,
        method,
        prepayId: result.prepayId,
        codeUrl: result.codeUrl,
        expiresAt,
        createdAt: now,
      });
      if (order.state === "created")
        await transition(r, order, "paying", "api", { method, apiVersion: m.gateway.apiVersion });
      return stored ?? (await r.attempts.live(orderId, method, now))!;
    });
  }

  private async answer(
    gw: PaymentGateway,
    orderId: string,
    attempt: AttemptRecord,
  ): Promise<PaymentResponse> {
    const prepayExpiresAt = attempt.expiresAt.toISOString();
    if (attempt.method === "jsapi") {
      if (!attempt.prepayId) throw new AppError("UPSTREAM_ERROR");
      return { method: "jsapi", orderId, params: gw.requestPaymentParams(attempt.prepayId), prepayExpiresAt };
    }
    if (!attempt.codeUrl) throw new AppError("UPSTREAM_ERROR");
    const qrDataUrl = await QRCode.toDataURL(attempt.codeUrl, { margin: 1, width: 256 });
    return { method: "native", orderId, codeUrl: attempt.codeUrl, qrDataUrl, prepayExpiresAt };
  }

  /** Ask WeChat about the order and apply its answer through the one settle path. */
  async verify(m: PayingMerchant, userId: string, orderId: string): Promise<Order> {
    const o = await this.orders.own(m.id, userId, orderId);
    if (o.state !== "created") {
      // "created" was never sent to WeChat: nothing to ask.
      let facts;
      try {
        facts = await m.gateway.queryOrder(o.outTradeNo);
      } catch (err) {
        mapUpstream(err);
      }
      if (facts) await settle(this.deps, m, facts, "verify");
    }
    return this.orders.get(m.id, userId, orderId);
  }
}
