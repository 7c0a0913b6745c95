/**
 * The sandbox's memory of the world: login codes, payment orders and refunds, per merchant.
 * Everything else talks to it through these methods; time comes from the injected clock.
 */
import { randomAlnum, randomDigits } from "../crypto/random";

export type TradeState = "NOTPAY" | "SUCCESS" | "CLOSED" | "REFUND" | "USERPAYING" | "PAYERROR" | "REVOKED";

export interface SandboxOrder {
  mchid: string;
  appid: string;
  apiVersion: "v2" | "v3";
  outTradeNo: string;
  tradeType: "JSAPI" | "NATIVE";
  description: string;
  totalFen: number;
  openid: string | null;
  notifyUrl: string;
  attach: string | null;
  prepayId: string | null;
  codeUrl: string | null;
  prepayExpiresAt: number;
  timeExpire: number | null;
  createdAt: number;
  tradeState: TradeState;
  transactionId: string | null;
  successTime: number | null;
  refundedFen: number;
  /** What identifies "the same order" for re-entry checks. */
  fingerprint: string;
}

/** An order as its creator states it; the store sets the prepay, payment and refund state. */
export type NewSandboxOrder = Omit<
  SandboxOrder,
  | "prepayId"
  | "codeUrl"
  | "prepayExpiresAt"
  | "createdAt"
  | "tradeState"
  | "transactionId"
  | "successTime"
  | "refundedFen"
>;

export interface SandboxRefund {
  mchid: string;
  outTradeNo: string;
  transactionId: string | null;
  outRefundNo: string;
  refundId: string;
  refundFen: number;
  totalFen: number;
  status: "PROCESSING" | "SUCCESS" | "CLOSED" | "ABNORMAL";
  createdAt: number;
  successTime: number | null;
  notifyUrl: string | null;
}

export interface LoginCode {
  appid: string;
  openid: string;
  issuedAt: number;
  usedAt: number | null;
}

export const CODE_TTL_MS = 5 * 60_000;
export const PREPAY_TTL_MS = 2 * 3600_000;

export class Store {
  private readonly orders = new Map<string, SandboxOrder>(); // key mchid|out_trade_no
  private readonly byPrepay = new Map<string, string>();
  private readonly byCodeUrl = new Map<string, string>();
  private readonly byTransaction = new Map<string, string>();
  private readonly refunds = new Map<string, SandboxRefund>(); // key mchid|out_refund_no
  private readonly codes = new Map<string, LoginCode>();

  constructor(readonly now: () => number) {}

  issueCode(appid: string, openid?: string): { code: string; openid: string } {
    const code = randomAlnum(32);
    const oid = openid ?? `o${randomAlnum(27)}`;
    this.codes.set(code, { appid, openid: oid, issuedAt: this.now(), usedAt: null });
    return { code, openid: oid };
  }

  peekCode(code: string): string | null {
    return this.codes.get(code)?.openid ?? null;
  }

  /** Exchange a code once: "invalid" (unknown, other appid or expired) or "used". */
  redeemCode(appid: string, code: string): { openid: string } | "invalid" | "used" {
    const c = this.codes.get(code);
    if (!c || c.appid !== appid) return "invalid";
    if (c.usedAt !== null) return "used";
    if (this.now() - c.issuedAt > CODE_TTL_MS) return "invalid"; // ASSUMPTION: expired codes answer 40029 (docs/wechatpay-spec.md §1.1)
    c.usedAt = this.now();
    return { openid: c.openid };
  }

  order(mchid: string, outTradeNo: string): SandboxOrder | undefined {
    return this.orders.get(`${mchid}|${outTradeNo}`);
  }

  orderByPrepay(prepayId: string): SandboxOrder | undefined {
    const k = this.byPrepay.get(prepayId);
    return k ? this.orders.get(k) : undefined;
  }

  orderByCodeUrl(codeUrl: string): SandboxOrder | undefined {
    const k = this.byCodeUrl.get(codeUrl);
    return k ? this.orders.get(k) : undefined;
  }

  orderByTransaction(mchid: string, transactionId: string): SandboxOrder | undefined {
    const k = this.byTransaction.get(transactionId);
    const o = k ? this.orders.get(k) : undefined;
    return o && o.mchid === mchid ? o : undefined;
  }

  findOrderByOutTradeNo(outTradeNo: string): SandboxOrder | undefined {
    for (const o of this.orders.values()) if (o.outTradeNo === outTradeNo) return o;
    return undefined;
  }

  createOrder(o: NewSandboxOrder): SandboxOrder {
    const order: SandboxOrder = {
      ...o,
      prepayId: null,
      codeUrl: null,
      prepayExpiresAt: 0,
      createdAt: this.now(),
      tradeState: "NOTPAY",
      transactionId: null,
      successTime: null,
      refundedFen: 0,
    };
    this.orders.set(`${o.mchid}|${o.outTradeNo}`, order);
    return order;
  }

  /** A prepay_id (2 h) for the order, reused while valid. */
  prepay(order: SandboxOrder): void {
    const now = this.now();
    if (order.prepayId && order.prepayExpiresAt > now) return;
    const d = new Date(now + 8 * 3600_000).toISOString().replace(/\D/g, "").slice(0, 14);
    order.prepayId = `wx${d}${randomAlnum(20).toLowerCase()}`.slice(0, 36);
    order.prepayExpiresAt = now + PREPAY_TTL_MS;
    this.byPrepay.set(order.prepayId, `${order.mchid}|${order.outTradeNo}`);
    if (order.tradeType === "NATIVE" && !order.codeUrl) {
      order.codeUrl = `weixin://wxpay/bizpayurl?pr=${randomAlnum(9)}`;
      this.byCodeUrl.set(order.codeUrl, `${order.mchid}|${order.outTradeNo}`);
    }
  }

  markPaid(order: SandboxOrder, openid: string | null): void {
    order.tradeState = "SUCCESS";
    order.transactionId = `4200${randomDigits(24)}`;
    order.successTime = this.now();
    if (openid) order.openid = openid;
    this.byTransaction.set(order.transactionId, `${order.mchid}|${order.outTradeNo}`);
  }

  refund(mchid: string, outRefundNo: string): SandboxRefund | undefined {
    return this.refunds.get(`${mchid}|${outRefundNo}`);
  }

  /** Every order and refund of one merchant (bills are per mch_id, across its appids). */
  merchantHistory(mchid: string): { orders: SandboxOrder[]; refunds: SandboxRefund[] } {
    return {
      orders: [...this.orders.values()].filter((o) => o.mchid === mchid),
      refunds: [...this.refunds.values()].filter((r) => r.mchid === mchid),
    };
  }

  refundsOf(mchid: string, outTradeNo: string): SandboxRefund[] {
    return [...this.refunds.values()].filter((r) => r.mchid === mchid && r.outTradeNo === outTradeNo);
  }

  addRefund(r: Omit<SandboxRefund, "refundId" | "createdAt" | "status" | "successTime">): SandboxRefund {
    const refund: SandboxRefund = {
      ...r,
      refundId: `5000${randomDigits(25)}`,
      createdAt: this.now(),
      status: "PROCESSING",
      successTime: null,
    };
    this.refunds.set(`${r.mchid}|${r.outRefundNo}`, refund);
    return refund;
  }
}
