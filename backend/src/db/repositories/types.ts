/** Typed records the repositories return; services work with these, never with raw rows. */
import type { OrderState, PaymentMethod } from "@minipay/shared";

export type EventSource =
  "api" | "notify" | "verify" | "check" | "sweeper" | "admin" | "reconciliation" | "webhook";

/** Where an order came from: the shop's mini-program (a shopper, product lines) or a merchant's server. */
export type OrderSource = "shop" | "merchant_api";

export interface OrderRecord {
  id: string;
  /** The shopper; null for merchant-API orders (payment-centre mode), which have no shopper. */
  userId: string | null;
  source: OrderSource;
  merchantId: string;
  outTradeNo: string;
  state: OrderState;
  totalFen: number;
  refundedFen: number;
  currency: string;
  description: string;
  idempotencyKey: string;
  requestHash: string;
  transactionId: string | null;
  stockReleased: boolean;
  expiresAt: Date;
  paidAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface OrderItemRecord {
  productId: string;
  name: string;
  unitPriceFen: number;
  quantity: number;
  subtotalFen: number;
}

export interface OrderEventRecord {
  type: string;
  from: OrderState | null;
  to: OrderState | null;
  source: string;
  createdAt: Date;
}

export interface TradeNumberRecord {
  merchantId: string;
  outTradeNo: string;
  orderId: string;
  method: PaymentMethod;
  /** The appid the number was prepaid for (null on rows from before it was recorded). */
  appid: string | null;
  createdAt: Date;
  /** Being replaced: set before WeChat is asked to close it, so its CLOSED never closes the order. */
  closingAt: Date | null;
  /** WeChat confirmed it closed (or never had it). */
  closedAt: Date | null;
}

export interface AttemptRecord {
  id: string;
  orderId: string;
  /** The WeChat order number this prepay belongs to. */
  outTradeNo: string;
  method: PaymentMethod;
  prepayId: string | null;
  codeUrl: string | null;
  expiresAt: Date;
  createdAt: Date;
}

export interface ProductRecord {
  merchantId: string;
  id: string;
  name: string;
  description: string;
  priceFen: number;
  stock: number;
  imageUrl: string | null;
  active: boolean;
  sort: number;
}

export interface SessionUser {
  sessionId: string;
  lastSeenAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  userId: string;
  merchantId: string | null;
  appid: string;
  openid: string;
}

export interface MerchantRow {
  id: string;
  name: string;
  source: string;
  apiVersion: "v2" | "v3";
  appid: string;
  mchid: string;
  credentialsSealed: string;
  sandboxUrl: string | null;
  disabledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ApiKeyRecord {
  id: string;
  merchantId: string;
  name: string;
  /** The visible start of the key (`mk_` + 8 characters), to recognise it in a list. */
  prefix: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface AuditRecord {
  id: string;
  merchantId: string;
  at: Date;
  actorKeyId: string | null;
  actorKeyName: string;
  action: string;
  targetType: string;
  targetId: string;
  before: unknown;
  after: unknown;
  requestId: string | null;
}

export type NewAuditRecord = Omit<AuditRecord, "id">;

export interface AnomalyRecord {
  id: string;
  merchantId: string;
  orderId: string | null;
  outTradeNo: string | null;
  kind: string;
  source: string;
  facts: Record<string, unknown>;
  createdAt: Date;
  resolvedAt: Date | null;
  resolutionNote: string | null;
  resolvedByKeyId: string | null;
}
