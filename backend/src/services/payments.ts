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
import { ALREADY_PAID_IN, settlesNothing } from "../domain/settle-shortcuts";
import { newOutTradeNo } from "../domain/out-trade-no";
import type { AttemptRecord, OrderRecord, TradeNumberRecord } from "../db/repositories";
import type { PaymentGateway } from "../wechat/types";
import type { MerchantIdentity, ServiceDeps } from "./deps";
import type { OrderService } from "./orders";
import { settle } from "./settle";
import { allTradeNumbers } from "./trade-numbers";
import { closeAtWechat, scheduleChecks } from "./order-checks";
import { transition } from "./transition";
import { mapUpstream } from "./upstream-errors";

/** WeChat's prepay_id lives 2 h; we stop reusing it 10 min early so a shopper never gets a dead one. */
const PREPAY_LIFETIME_MS = 2 * 3600_000;
const PREPAY_SAFETY_MS = 10 * 60_000;

/** About 30 s after prepay, then backing off (1, 2, 5, 10 min); the last step repeats until expiry. */
/** How many WeChat numbers one order may use (each method switch takes one). */
export const MAX_TRADE_NUMBERS_PER_ORDER = 8;

export const DEFAULT_CHECK_SCHEDULE_SECONDS = [30, 60, 120, 300, 600] as const;

/** What payments need of a merchant: who it is, where WeChat notifies, and its gateway. */
export interface PayingMerchant extends MerchantIdentity {
  disabled?: boolean;
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
    return this.payFor(m, order, method, user.openid, clientIp);
  }

  /**
   * Pay params for an order the caller has already found as its own (a shopper's, or a merchant's
   * server's own order in payment-centre mode): the live prepay, or a new one. `openid` is the
   * payer's under the merchant's appid, used for jsapi only.
   */
  async payFor(
    m: PayingMerchant,
    order: OrderRecord,
    method: PaymentMethod,
    openid: string | undefined,
    clientIp: string,
  ): Promise<PaymentResponse> {
    const orderId = order.id;
    const now = this.deps.now();
    checkPayable(order, now);
    const { db } = this.deps;
    // An attempt is stored only with the move out of "created" (store()), so a created order has none.
    const live = order.state === "created" ? null : await db.repos.attempts.live(order.id, method, now);
    if (live) return this.answer(m.gateway, orderId, live);
    // A merchant gone from the configuration serves its live prepays but starts no new WeChat order.
    if (m.disabled) throw new AppError("MERCHANT_DISABLED");

    const { number, retire } = await this.numberFor(m, order, method, now);
    for (const n of retire) await this.retire(m, order, n);
    let result;
    try {
      result = await m.gateway.prepay({
        kind: method,
        outTradeNo: number,
        description: order.description,
        totalFen: order.totalFen,
        openid: method === "jsapi" ? openid : undefined,
        notifyUrl: m.notifyUrl("pay"),
        clientIp,
        timeExpire: order.expiresAt,
        productId: method === "native" ? number : undefined,
      });
    } catch (err) {
      // A concurrent tap may have stored its attempt while ours failed on WeChat's re-entry rule.
      const theirs = await db.repos.attempts.live(order.id, method, this.deps.now());
      if (theirs) return this.answer(m.gateway, orderId, theirs);
      // Or it switched method and closed our number first (WeChat then refuses it as closed).
      const mine = (await db.repos.tradeNumbers.forOrder(order.id)).find((n) => n.outTradeNo === number);
      if (mine?.closingAt || mine?.closedAt) throw new AppError("PAYMENT_METHOD_SWITCHED");
      mapUpstream(err);
    }
    const attempt = await this.store(m, order.id, method, number, result, now);
    if (!attempt) {
      // The shopper switched method while this prepay was in flight: its number is being closed,
      // so this prepay must never be paid. Close it again now that WeChat surely has it.
      await this.closeQuietly(m, number);
      throw new AppError("PAYMENT_METHOD_SWITCHED");
    }
    return this.answer(m.gateway, orderId, attempt);
  }

  /**
   * Decide, with the order row locked (so concurrent taps, same method or not, take turns), the
   * WeChat number to prepay with: the usable one for this method, or a new one. The numbers it
   * replaces are marked "closing" in the same transaction, before WeChat is asked to close them,
   * so a CLOSED answer about them can never close the order. The first number is the order's own.
   */
  private async numberFor(
    m: PayingMerchant,
    order: OrderRecord,
    method: PaymentMethod,
    now: Date,
  ): Promise<{ number: string; retire: TradeNumberRecord[] }> {
    return this.deps.db.transaction(async (r) => {
      const locked = await r.orders.lock(m.id, order.id);
      if (!locked) throw new AppError("ORDER_NOT_FOUND");
      checkPayable(locked, this.deps.now());
      const numbers = await r.tradeNumbers.forOrder(order.id);
      const usable = numbers.find((n) => n.method === method && !n.closedAt && !n.closingAt);
      if (usable) return { number: usable.outTradeNo, retire: [] };
      // Each switch costs WeChat a close and a prepay: bounded per order.
      if (numbers.length >= MAX_TRADE_NUMBERS_PER_ORDER) throw new AppError("PAYMENT_ATTEMPTS_EXCEEDED");
      const retire = numbers.filter((n) => !n.closedAt && !n.closingAt);
      await r.tradeNumbers.markClosing(
        m.id,
        retire.map((n) => n.outTradeNo),
        now,
      );
      const number = numbers.length === 0 ? order.outTradeNo : newOutTradeNo(now, this.deps.randomBytes);
      // Committed (to disk) before WeChat sees the number: a number WeChat binds to this method is
      // never forgotten here, and this commit also makes the order's own lazy create durable.
      await r.tradeNumbers.add({
        merchantId: m.id,
        orderId: order.id,
        method,
        appid: m.appid,
        outTradeNo: number,
        createdAt: now,
      });
      return { number, retire };
    });
  }

  /**
   * Close a number the shopper switched away from. Not closable now (too young, WeChat down): it
   * stays "closing"; expiry closes it later, and a payment on it is still settled once.
   */
  private async retire(m: PayingMerchant, order: OrderRecord, n: TradeNumberRecord): Promise<void> {
    const { db, logger } = this.deps;
    let closed;
    try {
      closed = await closeAtWechat(m, n.outTradeNo);
    } catch (err) {
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
      // Order row first, as every other writer of an order's numbers does: no lock-order deadlock.
      await r.orders.lock(m.id, order.id);
      await r.tradeNumbers.markClosed(m.id, n.outTradeNo, at);
      await r.attempts.supersedeFor(order.id, n.outTradeNo, at);
      await r.events.record(order.id, "trade_number_closed", "api", {
        outTradeNo: n.outTradeNo,
        method: n.method,
      });
    });
  }

  private async closeQuietly(m: PayingMerchant, outTradeNo: string): Promise<void> {
    try {
      if ((await closeAtWechat(m, outTradeNo)) !== "already_paid")
        await this.deps.db.repos.tradeNumbers.markClosed(m.id, outTradeNo, this.deps.now());
    } catch (err) {
      this.deps.logger.warn(
        { err: (err as Error).message, outTradeNo },
        "superseded prepay left for expiry to close",
      );
    }
  }

  /** Short transaction after WeChat answered: store the attempt as the live one, move created → paying. */
  private async store(
    m: PayingMerchant,
    orderId: string,
    method: PaymentMethod,
    outTradeNo: string,
    result: { prepayId: string | null; codeUrl: string | null },
    now: Date,
  ): Promise<AttemptRecord | null> {
    return this.deps.db.transaction(async (r) => {
      const order = await r.orders.lock(m.id, orderId);
      if (!order) throw new AppError("ORDER_NOT_FOUND");
      // The number may have been replaced while WeChat answered: then nothing is handed out.
      const tn = await r.tradeNumbers.lock(m.id, outTradeNo);
      if (tn && (tn.closingAt || tn.closedAt)) return null;
      // Paid or closed while we were asking WeChat: the prepay must not be handed out.
      checkPayable(order, this.deps.now());
      if (order.state !== "created") await r.attempts.supersedeExpired(orderId, method, now); // none before
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
    let settled = false;
    // "created" was never sent to WeChat: nothing to ask.
    if (o.state !== "created") {
      for (const no of await allTradeNumbers(this.deps, o)) {
        let facts;
        try {
          facts = await m.gateway.queryOrder(no);
        } catch (err) {
          mapUpstream(err);
        }
        if (!facts) continue;
        // The usual verifies: not paid yet, or WeChat confirms what a paid order records. Settle
        // would lock the row to change nothing. Other merchants' facts still go to settle.
        const ours = facts.mchid === m.mchid && facts.appid === m.appid;
        if (ours && settlesNothing(o, facts)) continue;
        await settle(this.deps, m, facts, "verify");
        settled = true;
      }
    }
    // Read again only when something may have moved; a paid order stays paid under its transaction.
    return settled || !ALREADY_PAID_IN.includes(o.state)
      ? this.orders.get(m.id, userId, orderId)
      : this.orders.view(o);
  }
}
