/**
 * Payment-centre mode: orders a merchant's own server creates through /merchant/v1 for an amount it
 * chooses. Such an order has no shopper and no product lines (orders.source = merchant_api); what
 * only it has lives in merchant_orders. It is paid and settled exactly as a shop order is: the same
 * prepay (PaymentService.payFor, never inside a transaction), the same checks and expiry jobs, the
 * same settle path, the same close as the admin API.
 *
 * Idempotency: the merchant's order number is unique per merchant. The same number with the same
 * body gives back the same order; with another body it is MERCHANT_ORDER_CONFLICT. The
 * Idempotency-Key header is required too, and one key names one number.
 *
 * The hosted checkout page is reached by a token derived from the order id with a server key
 * (HMAC-SHA256, 256 bits, base64url): it says nothing about the order, cannot be guessed, and is
 * the same on every replay without being stored; only its SHA-256 is stored, to find the order.
 */
import crypto from "node:crypto";
import {
  isPaid,
  isPayable,
  type CheckoutStatus,
  type CreateMerchantOrderRequest,
  type MerchantOrder,
  type MerchantPayment,
  type PaymentResponse,
} from "@minipay/shared";
import { AppError } from "../domain/errors";
import { newOutTradeNo } from "../domain/out-trade-no";
import { uniqueViolation } from "../db/repositories/rows";
import type { MerchantOrderRecord, OrderRecord } from "../db/repositories";
import type { AdminActor } from "./admin/actor";
import type { AdminOrderService } from "./admin/orders";
import type { ServiceDeps } from "./deps";
import { queryAndSettle, type CheckedMerchant } from "./order-checks";
import type { PayingMerchant, PaymentService } from "./payments";
import { allTradeNumbers } from "./trade-numbers";

const IDEMPOTENCY_KEY_RE = /^[A-Za-z0-9_.:-]{8,128}$/;
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/** A merchant as this service needs it: pays, checks, and is named on the checkout page. */
export type ApiMerchant = PayingMerchant & CheckedMerchant & { name: string };

export interface MerchantOrderOptions {
  /** Minutes an order can be paid when the merchant does not say. */
  defaultTtlMinutes: number;
  /** The HMAC key checkout tokens are derived with (from the master key). */
  tokenKey: Buffer;
  /**
   * The webhook rules for notify/return URLs (https, public addresses after DNS; ALLOW_PRIVATE_WEBHOOKS
   * also allows http and private/loopback): null when fine, else why not.
   */
  checkUrl: (url: string) => Promise<string | null>;
  /** A pending order older than this is checked with WeChat on read… */
  queryAfterMs?: number;
  /** …at most once per this many ms per order, across every process. */
  queryGapMs?: number;
}

/** The body as it decides the order: canonical JSON of every field, absent ones as null. */
function requestHash(b: CreateMerchantOrderRequest): string {
  const canonical = JSON.stringify([
    b.merchantOrderNo,
    b.amountFen,
    b.description,
    b.method,
    b.payerOpenid ?? null,
    b.expiresInMinutes ?? null,
    b.attach ?? null,
    b.notifyUrl ?? null,
    b.returnUrl ?? null,
  ]);
  return crypto.createHash("sha256").update(canonical).digest("hex");
}

const sha256 = (v: string) => crypto.createHash("sha256").update(v).digest("hex");

/**
 * Our public base URL, as WeChat is told it in the notify URL (`{base}/notify/wechat/…`): the
 * checkout page lives under the same base.
 */
export function publicBaseOf(m: Pick<PayingMerchant, "notifyUrl">): string {
  const url = m.notifyUrl("pay");
  const at = url.indexOf("/notify/wechat/");
  return at >= 0 ? url.slice(0, at) : new URL(url).origin;
}

export class MerchantOrderService {
  private readonly queryAfterMs: number;
  private readonly queryGapMs: number;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly payments: PaymentService,
    private readonly adminOrders: AdminOrderService,
    private readonly merchantById: (id: string) => Promise<ApiMerchant | null>,
    private readonly opts: MerchantOrderOptions,
  ) {
    this.queryAfterMs = opts.queryAfterMs ?? 5000;
    this.queryGapMs = opts.queryGapMs ?? 5000;
  }

  checkoutToken(orderId: string): string {
    return crypto.createHmac("sha256", this.opts.tokenKey).update(`checkout:${orderId}`).digest("base64url");
  }

  /**
   * The webhook module's rules (README "Payment-centre mode"): the notifyUrl is checked again on every
   * delivery; the returnUrl is only a browser redirect, so checking it once here is enough. Schemes
   * other than http(s) (javascript:, data:) never get this far: the request schema refuses them.
   */
  private async checkUrl(field: string, v: string | undefined): Promise<void> {
    if (v === undefined) return;
    const why = await this.opts.checkUrl(v);
    if (why) throw new AppError("MERCHANT_URL_NOT_ALLOWED", undefined, { field, reason: why });
  }

  /** Create (201) or give back the same order (200, `created: false`). */
  async create(
    m: ApiMerchant,
    idempotencyKey: string | undefined,
    body: CreateMerchantOrderRequest,
    clientIp: string,
  ): Promise<{ order: MerchantOrder; created: boolean }> {
    if (!idempotencyKey) throw new AppError("IDEMPOTENCY_KEY_REQUIRED");
    if (!IDEMPOTENCY_KEY_RE.test(idempotencyKey))
      throw new AppError("VALIDATION_FAILED", undefined, {
        header: "Idempotency-Key",
        rule: "8-128 of [A-Za-z0-9_.:-]",
      });
    await this.checkUrl("notifyUrl", body.notifyUrl);
    await this.checkUrl("returnUrl", body.returnUrl);
    const hash = requestHash(body);

    const found = await this.existing(m.id, idempotencyKey, body.merchantOrderNo, hash);
    if (found) return { order: await this.withPayment(m, found, clientIp), created: false };
    if (m.disabled) throw new AppError("MERCHANT_DISABLED");

    let made: { order: OrderRecord; mo: MerchantOrderRecord };
    try {
      made = await this.insert(m, idempotencyKey, body, hash);
    } catch (err) {
      const which = uniqueViolation(err);
      if (which === "merchant_orders_no_uq" || which === "merchant_orders_idempotency_uq") {
        // A concurrent request with the same number or key won: it decides, as above.
        const again = await this.existing(m.id, idempotencyKey, body.merchantOrderNo, hash);
        if (again) return { order: await this.withPayment(m, again, clientIp), created: false };
      }
      throw err;
    }
    return { order: await this.withPayment(m, made, clientIp), created: true };
  }

  /** The order this number (or key) already names, or null; 409 when it names a different request. */
  private async existing(
    merchantId: string,
    key: string,
    merchantOrderNo: string,
    hash: string,
  ): Promise<{ order: OrderRecord; mo: MerchantOrderRecord } | null> {
    const { repos } = this.deps.db;
    const byNo = await repos.merchantOrders.byNumber(merchantId, merchantOrderNo);
    if (byNo) {
      if (byNo.requestHash !== hash)
        throw new AppError("MERCHANT_ORDER_CONFLICT", undefined, { merchantOrderNo });
      return { order: (await repos.orders.byId(merchantId, byNo.orderId))!, mo: byNo };
    }
    const byKey = await repos.merchantOrders.byIdempotencyKey(merchantId, key);
    if (byKey) throw new AppError("IDEMPOTENCY_KEY_REUSED");
    return null;
  }

  private async insert(
    m: ApiMerchant,
    idempotencyKey: string,
    body: CreateMerchantOrderRequest,
    hash: string,
  ): Promise<{ order: OrderRecord; mo: MerchantOrderRecord }> {
    const now = this.deps.now();
    const minutes = body.expiresInMinutes ?? this.opts.defaultTtlMinutes;
    return this.deps.db.transaction(async (r) => {
      const order = await r.orders.insert({
        userId: null,
        merchantId: m.id,
        outTradeNo: newOutTradeNo(now, this.deps.randomBytes),
        totalFen: body.amountFen,
        description: body.description,
        idempotencyKey,
        requestHash: hash,
        expiresAt: new Date(now.getTime() + minutes * 60_000),
        now,
      });
      const mo: MerchantOrderRecord = {
        orderId: order.id,
        merchantId: m.id,
        merchantOrderNo: body.merchantOrderNo,
        idempotencyKey,
        requestHash: hash,
        method: body.method,
        payerOpenid: body.payerOpenid ?? null,
        attach: body.attach ?? null,
        notifyUrl: body.notifyUrl ?? null,
        returnUrl: body.returnUrl ?? null,
        checkoutTokenHash: body.method === "h5page" ? sha256(this.checkoutToken(order.id)) : null,
        lastQueryAt: null,
        createdAt: now,
      };
      await r.merchantOrders.insert(mo);
      await r.events.record(
        order.id,
        "created",
        "api",
        { totalFen: order.totalFen, source: "merchant_api", method: body.method },
        { from: null, to: "created" },
      );
      return { order, mo };
    });
  }

  /** The view with what the payer needs, while the order can be paid. */
  private async withPayment(
    m: ApiMerchant,
    o: { order: OrderRecord; mo: MerchantOrderRecord },
    clientIp: string,
  ): Promise<MerchantOrder> {
    let order = o.order;
    let payment: MerchantPayment | null = null;
    const now = this.deps.now();
    if (isPayable(order.state) && order.expiresAt > now) {
      if (o.mo.method === "h5page") payment = { method: "h5page", checkoutUrl: this.checkoutUrl(m, o.mo)! };
      else {
        const p = await this.payments.payFor(m, order, o.mo.method, o.mo.payerOpenid ?? undefined, clientIp);
        payment = paymentOf(p);
        order = (await this.deps.db.repos.orders.byId(m.id, order.id)) ?? order;
      }
    }
    return { ...this.view(m, order, o.mo), payment };
  }

  private checkoutUrl(m: ApiMerchant, mo: MerchantOrderRecord): string | null {
    if (mo.method !== "h5page") return null;
    return `${publicBaseOf(m)}/pay/${this.checkoutToken(mo.orderId)}`;
  }

  private view(m: ApiMerchant, o: OrderRecord, mo: MerchantOrderRecord): MerchantOrder {
    return {
      merchantOrderNo: mo.merchantOrderNo,
      orderId: o.id,
      outTradeNo: o.outTradeNo,
      method: mo.method,
      state: o.state,
      amountFen: o.totalFen,
      refundedFen: o.refundedFen,
      currency: "CNY",
      description: o.description,
      attach: mo.attach,
      notifyUrl: mo.notifyUrl,
      returnUrl: mo.returnUrl,
      checkoutUrl: this.checkoutUrl(m, mo),
      transactionId: o.transactionId,
      createdAt: o.createdAt.toISOString(),
      expiresAt: o.expiresAt.toISOString(),
      paidAt: o.paidAt?.toISOString() ?? null,
    };
  }

  /** The merchant's order by its number; another merchant's is simply not found. */
  private async find(
    merchantId: string,
    merchantOrderNo: string,
  ): Promise<{ order: OrderRecord; mo: MerchantOrderRecord }> {
    const notFound = () => new AppError("RESOURCE_NOT_FOUND", undefined, { type: "order", merchantOrderNo });
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(merchantOrderNo)) throw notFound();
    const { repos } = this.deps.db;
    const mo = await repos.merchantOrders.byNumber(merchantId, merchantOrderNo);
    const order = mo && (await repos.orders.byId(merchantId, mo.orderId));
    if (!mo || !order) throw notFound();
    return { order, mo };
  }

  /**
   * Ask WeChat about a pending order through the one query-and-settle path, when it is old enough
   * for a payment to have happened and nobody asked in the last few seconds (a claim in the
   * database, so many readers in many processes make one query). A failed query is only logged:
   * the read answers with what we know.
   */
  private async refresh(m: CheckedMerchant, order: OrderRecord): Promise<OrderRecord> {
    const now = this.deps.now();
    if (order.state !== "paying") return order; // "created" was never sent to WeChat
    if (now.getTime() - order.createdAt.getTime() < this.queryAfterMs) return order;
    const { repos } = this.deps.db;
    if (!(await repos.merchantOrders.claimQuery(order.id, now, this.queryGapMs))) return order;
    for (const no of await allTradeNumbers(this.deps, order)) {
      await queryAndSettle(this.deps, m, no, "verify");
      const after = await repos.orders.byId(order.merchantId, order.id);
      if (after && isPaid(after.state)) return after;
    }
    return (await repos.orders.byId(order.merchantId, order.id)) ?? order;
  }

  async get(m: ApiMerchant, merchantOrderNo: string): Promise<MerchantOrder> {
    const { order, mo } = await this.find(m.id, merchantOrderNo);
    return this.view(m, await this.refresh(m, order), mo);
  }

  /** Close an unpaid order: the admin API's close (WeChat first, then closed, audited). */
  async close(m: ApiMerchant, merchantOrderNo: string, actor: AdminActor): Promise<MerchantOrder> {
    const { order, mo } = await this.find(m.id, merchantOrderNo);
    await this.adminOrders.close(m, order.id, actor);
    const after = (await this.deps.db.repos.orders.byId(m.id, order.id)) ?? order;
    return this.view(m, after, mo);
  }

  // The hosted checkout page

  /** The order behind a checkout token, or null (unknown, malformed, or not a checkout order). */
  private async byToken(
    token: string,
  ): Promise<{ m: ApiMerchant; order: OrderRecord; mo: MerchantOrderRecord } | null> {
    if (!TOKEN_RE.test(token)) return null;
    const { repos } = this.deps.db;
    const mo = await repos.merchantOrders.byCheckoutTokenHash(sha256(token));
    if (!mo) return null;
    const m = await this.merchantById(mo.merchantId);
    const order = m && (await repos.orders.byId(mo.merchantId, mo.orderId));
    return m && order ? { m, order, mo } : null;
  }

  /** What the checkout page shows; the Native QR while the order can be paid. */
  async checkout(
    token: string,
    clientIp: string,
  ): Promise<{
    merchantName: string;
    amountFen: number;
    description: string;
    state: OrderRecord["state"];
    phase: CheckoutStatus["phase"];
    qrDataUrl: string | null;
    expiresAt: Date;
    returnUrl: string | null;
  } | null> {
    const found = await this.byToken(token);
    if (!found) return null;
    const { m, mo } = found;
    let order = await this.refresh(m, found.order);
    let qrDataUrl: string | null = null;
    if (isPayable(order.state) && order.expiresAt > this.deps.now()) {
      try {
        const p = await this.payments.payFor(m, order, "native", undefined, clientIp);
        if (p.method === "native") qrDataUrl = p.qrDataUrl;
      } catch (err) {
        // Paid or closed meanwhile, or WeChat unreachable: the page shows the state, or asks the
        // shopper to refresh, rather than an error.
        if (!(err instanceof AppError)) throw err;
        this.deps.logger.warn({ orderId: order.id, code: err.code }, "checkout page without a QR");
      }
      order = (await this.deps.db.repos.orders.byId(m.id, order.id)) ?? order;
    }
    return {
      merchantName: m.name,
      amountFen: order.totalFen,
      description: order.description,
      state: order.state,
      phase: phaseOf(order, this.deps.now()),
      qrDataUrl,
      expiresAt: order.expiresAt,
      returnUrl: mo.returnUrl,
    };
  }

  async checkoutStatus(token: string): Promise<CheckoutStatus | null> {
    const found = await this.byToken(token);
    if (!found) return null;
    const order = await this.refresh(found.m, found.order);
    return { state: order.state, phase: phaseOf(order, this.deps.now()), returnUrl: found.mo.returnUrl };
  }
}

function phaseOf(o: OrderRecord, now: Date): CheckoutStatus["phase"] {
  if (isPaid(o.state)) return "paid";
  if (isPayable(o.state) && o.expiresAt > now) return "pending";
  return "over";
}

function paymentOf(p: PaymentResponse): MerchantPayment {
  if (p.method === "jsapi") return { method: "jsapi", params: p.params, prepayExpiresAt: p.prepayExpiresAt };
  return { method: "native", codeUrl: p.codeUrl, qrDataUrl: p.qrDataUrl, prepayExpiresAt: p.prepayExpiresAt };
}
