/**
 * Payments: ask WeChat for a prepay (reusing a live one), hand back exactly what
 * wx.requestPayment takes, and verify by asking WeChat rather than believing the client.
 *
 * No WeChat call runs inside a database transaction: a slow WeChat must not hold row locks or the
 * pool connections that notifies need. Two concurrent taps both may ask WeChat, with the same
 * out_trade_no and parameters (WeChat answers a repeated prepay with the same order), and the
 * unique live-attempt index lets only one attempt be stored; the other tap returns it.
 *
 * WeChat binds an out_trade_no to one trade type, so switching between in-app pay (JSAPI) and QR
 * (NATIVE) takes a new WeChat order number; the previous one is closed at WeChat first. If it
 * cannot be closed yet, it stays open and a payment on it is still settled once (or flagged as a
 * duplicate payment for refund).
 */
import QRCode from "qrcode";
import { isPaid, isPayable, type Order, type PaymentMethod, type PaymentResponse } from "@minipay/shared";
import { AppError } from "../domain/errors";
import { newOutTradeNo } from "../domain/out-trade-no";
import type { AttemptRecord, OrderRecord, TradeNumberRecord } from "../db/repositories";
import type { PaymentGateway } from "../wechat/types";
import type { MerchantIdentity, ServiceDeps } from "./deps";
import type { OrderService } from "./orders";
import { settle } from "./settle";
import { allTradeNumbers } from "./trade-numbers";
import { scheduleChecks } from "./order-checks";
import { transition } from "./transition";
import { mapUpstream } from "./upstream-errors";

/** WeChat's prepay_id lives 2 h; we stop reusing it 10 min early so a shopper never gets a dead one. */
const PREPAY_LIFETIME_MS = 2 * 3600_000;
const PREPAY_SAFETY_MS = 10 * 60_000;

/** About 30 s after prepay, then backing off (1, 2, 5, 10 min); the last step repeats until expiry. */
export const DEFAULT_CHECK_SCHEDULE_SECONDS = [30, 60, 120, 300, 600] as const;

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
    /** Seconds from prepay to each payment check (the last one repeats until expiry). */
    private readonly checkScheduleSeconds: readonly number[] = DEFAULT_CHECK_SCHEDULE_SECONDS,
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
    const live = await db.repos.attempts.live(order.id, method, now);
    if (live) return this.answer(m.gateway, orderId, live);

    const number = await this.numberFor(m, order, method, now);
    let result;
    try {
      result = await m.gateway.prepay({
        kind: method,
        outTradeNo: number,
        description: order.description,
        totalFen: order.totalFen,
        openid: method === "jsapi" ? user.openid : undefined,
        notifyUrl: m.notifyUrl("pay"),
        clientIp,
        timeExpire: order.expiresAt,
        productId: method === "native" ? number : undefined,
      });
    } catch (err) {
      // A concurrent tap may have stored its attempt while ours failed on WeChat's re-entry rule.
      const theirs = await db.repos.attempts.live(order.id, method, this.deps.now());
      if (!theirs) mapUpstream(err);
      return this.answer(m.gateway, orderId, theirs);
    }
    const attempt = await this.store(m, order.id, method, number, result, now);
    return this.answer(m.gateway, orderId, attempt);
  }

  /**
   * The WeChat order number to prepay with: the open one for this method, or a new one after the
   * other method's numbers are closed at WeChat (the first number of an order is its own).
   */
  private async numberFor(
    m: PayingMerchant,
    order: OrderRecord,
    method: PaymentMethod,
    now: Date,
  ): Promise<string> {
    const { tradeNumbers } = this.deps.db.repos;
    const numbers = await tradeNumbers.forOrder(order.id);
    const open = numbers.find((n) => n.method === method && !n.closedAt);
    if (open) return open.outTradeNo;
    for (const other of numbers.filter((n) => !n.closedAt)) await this.retire(m, order, other);
    await tradeNumbers.add({
      merchantId: m.id,
      orderId: order.id,
      method,
      outTradeNo: numbers.length === 0 ? order.outTradeNo : newOutTradeNo(now, this.deps.randomBytes),
      createdAt: now,
    });
    // Re-read: a concurrent tap may have added its number first (one open number per method).
    const winner = (await tradeNumbers.forOrder(order.id)).find((n) => n.method === method && !n.closedAt);
    return winner!.outTradeNo;
  }

  /** Close a WeChat order number the shopper is switching away from. */
  private async retire(m: PayingMerchant, order: OrderRecord, n: TradeNumberRecord): Promise<void> {
    const { db, logger } = this.deps;
    let closed;
    try {
      closed = await m.gateway.closeOrder(n.outTradeNo);
    } catch (err) {
      // Too young to close, or WeChat unreachable: leave it open; a payment on it still settles once.
      logger.warn(
        { err: (err as Error).message, outTradeNo: n.outTradeNo },
        "previous WeChat order left open",
      );
      return;
    }
    if (closed === "already_paid") {
      const facts = await m.gateway.queryOrder(n.outTradeNo).catch(() => null);
      if (facts) await settle(this.deps, m, facts, "api");
      throw new AppError("ORDER_ALREADY_PAID");
    }
    const at = this.deps.now();
    await db.transaction(async (r) => {
      await r.tradeNumbers.markClosed(m.id, n.outTradeNo, at);
      await r.attempts.supersedeFor(order.id, n.outTradeNo, at);
      await r.events.record(order.id, "trade_number_closed", "api", {
        outTradeNo: n.outTradeNo,
        method: n.method,
      });
    });
  }

  /** Short transaction after WeChat answered: store the attempt as the live one, move created → paying. */
  private async store(
    m: PayingMerchant,
    orderId: string,
    method: PaymentMethod,
    outTradeNo: string,
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
        outTradeNo,
        method,
        prepayId: result.prepayId,
        codeUrl: result.codeUrl,
        expiresAt,
        createdAt: now,
      });
      if (order.state === "created")
        await transition(r, order, "paying", "api", { method, apiVersion: m.gateway.apiVersion });
      // The checks commit with the attempt: a number WeChat knows is always watched.
      if (stored)
        await scheduleChecks(
          r,
          { orderId, merchantId: m.id, outTradeNo, expiresAt: order.expiresAt },
          now,
          this.checkScheduleSeconds,
        );
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

  /** Ask WeChat about each of the order's numbers and apply its answers through the one settle path. */
  async verify(m: PayingMerchant, userId: string, orderId: string): Promise<Order> {
    const o = await this.orders.own(m.id, userId, orderId);
    // "created" was never sent to WeChat: nothing to ask.
    if (o.state !== "created") {
      for (const no of await allTradeNumbers(this.deps, o)) {
        let facts;
        try {
          facts = await m.gateway.queryOrder(no);
        } catch (err) {
          mapUpstream(err);
        }
        if (facts) await settle(this.deps, m, facts, "verify");
      }
    }
    return this.orders.get(m.id, userId, orderId);
  }
}
