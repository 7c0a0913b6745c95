/**
 * The merchant admin contract (prefix /admin/v1, `Authorization: Bearer mk_…`). Each route needs
 * one scope; a key carries a set of them. Lists are keyset pages, newest first, with an opaque
 * `nextCursor` (null on the last page).
 */
import { z } from "zod";
import { OrderItem, OrderStateSchema, PaymentMethod, ProductId, RefundStateSchema } from "./api";
import { MAX_ORDER_TOTAL_FEN } from "./money";

export const ADMIN_PREFIX = "/admin/v1";

export const ADMIN_SCOPES = [
  "orders:read",
  "orders:write",
  "refunds:write",
  "products:read",
  "products:write",
  "reports:read",
  "audit:read",
  "keys:write",
  "webhooks:write",
] as const;
export const AdminScope = z.enum(ADMIN_SCOPES);
export type AdminScope = z.infer<typeof AdminScope>;

const isoDate = z.string();
/** Free text a person typed: no NUL or other control bytes (PostgreSQL refuses NUL in text) and no
 * lone UTF-16 surrogates (not UTF-8, refused by jsonb in the audit log). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const clean = (v: string) => !CONTROL.test(v) && !LONE_SURROGATE.test(v);
const text = (max: number) => z.string().max(max).refine(clean, "no control characters");
const line = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((v) => clean(v) && !/[\r\n\t]/.test(v), "one line, no control characters");
const pageLimit = z.coerce.number().int().min(1).max(100).default(50);
const cursor = z.string().max(200).optional();

// API keys: GET/POST /admin/v1/keys, DELETE /admin/v1/keys/{id} (keys:write)
export const CreateApiKeyRequest = z
  .object({
    name: line(64),
    scopes: z
      .array(AdminScope)
      .min(1)
      .max(ADMIN_SCOPES.length)
      .transform((s) => [...new Set(s)]),
  })
  .strict();
export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequest>;

/** A key as listed: never the secret, only its first characters to recognise it by. */
export const ApiKeyView = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(AdminScope),
  createdAt: isoDate,
  lastUsedAt: isoDate.nullable(),
  revokedAt: isoDate.nullable(),
});
export type ApiKeyView = z.infer<typeof ApiKeyView>;
export const ApiKeyList = z.object({ keys: z.array(ApiKeyView) });
export type ApiKeyList = z.infer<typeof ApiKeyList>;

/** GET /admin/v1/me (any live key): who the key is and what it may do, so a client can show only
 * what the key can use. */
export const AdminMe = z.object({
  keyId: z.string(),
  keyName: z.string(),
  merchantId: z.string(),
  merchantName: z.string(),
  scopes: z.array(AdminScope),
});
export type AdminMe = z.infer<typeof AdminMe>;

/** The answer to POST /keys: the only time `key` (the secret) is ever shown. */
export const ApiKeyCreated = z.object({
  id: z.string(),
  key: z.string().regex(/^mk_[A-Za-z0-9_-]{43}$/),
  name: z.string(),
  scopes: z.array(AdminScope),
  createdAt: isoDate,
});
export type ApiKeyCreated = z.infer<typeof ApiKeyCreated>;

// GET /admin/v1/audit (audit:read)
export const AuditQuery = z.object({ limit: pageLimit, cursor });
export const AuditEntry = z.object({
  id: z.string(),
  at: isoDate,
  actor: z.object({ keyId: z.string().nullable(), keyName: z.string() }),
  action: z.string(),
  target: z.object({ type: z.string(), id: z.string() }),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
  requestId: z.string().nullable(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;
export const AuditPage = z.object({ entries: z.array(AuditEntry), nextCursor: z.string().nullable() });
export type AuditPage = z.infer<typeof AuditPage>;

// Products: GET/POST /admin/v1/products, PATCH /admin/v1/products/{id}, POST …/{id}/stock
const productFields = {
  name: line(100),
  description: text(500),
  priceFen: z.number().int().min(1).max(MAX_ORDER_TOTAL_FEN),
  imageUrl: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .refine(clean, "no control characters")
    .nullable(),
  active: z.boolean(),
};
export const CreateProductRequest = z
  .object({
    id: ProductId.optional(),
    ...productFields,
    description: productFields.description.default(""),
    imageUrl: productFields.imageUrl.optional(),
    active: productFields.active.default(true),
    stock: z.number().int().min(0).max(100_000_000),
  })
  .strict();
export type CreateProductRequest = z.infer<typeof CreateProductRequest>;
/** Any of the product's fields except stock (stock moves only through …/stock, with a reason). */
export const UpdateProductRequest = z
  .object(productFields)
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, "at least one field");
export type UpdateProductRequest = z.infer<typeof UpdateProductRequest>;
export const StockAdjustRequest = z
  .object({
    delta: z
      .number()
      .int()
      .min(-100_000_000)
      .max(100_000_000)
      .refine((d) => d !== 0, "not zero"),
    reason: line(200),
  })
  .strict();
export type StockAdjustRequest = z.infer<typeof StockAdjustRequest>;
export const AdminProduct = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  priceFen: z.number().int().positive(),
  /** Units a shopper can still buy: open orders' reservations are already taken out. */
  stock: z.number().int().nonnegative(),
  imageUrl: z.string().nullable(),
  active: z.boolean(),
  sort: z.number().int(),
});
export type AdminProduct = z.infer<typeof AdminProduct>;
export const AdminProductList = z.object({ products: z.array(AdminProduct) });
export type AdminProductList = z.infer<typeof AdminProductList>;

// Anomalies: GET /admin/v1/anomalies (orders:read), POST …/{id}/resolve (orders:write)
export const AnomalyQuery = z.object({
  kind: z
    .string()
    .regex(/^[a-z_]{1,64}$/)
    .optional(),
  resolved: z.enum(["true", "false"]).optional(),
  limit: pageLimit,
  cursor,
});
export const Anomaly = z.object({
  id: z.string(),
  kind: z.string(),
  source: z.string(),
  orderId: z.string().nullable(),
  outTradeNo: z.string().nullable(),
  facts: z.record(z.string(), z.unknown()),
  createdAt: isoDate,
  resolvedAt: isoDate.nullable(),
  resolutionNote: z.string().nullable(),
});
export type Anomaly = z.infer<typeof Anomaly>;
export const AnomalyPage = z.object({ anomalies: z.array(Anomaly), nextCursor: z.string().nullable() });
export type AnomalyPage = z.infer<typeof AnomalyPage>;
export const ResolveAnomalyRequest = z.object({ note: text(1000).pipe(z.string().trim().min(1)) }).strict();
export type ResolveAnomalyRequest = z.infer<typeof ResolveAnomalyRequest>;

// Orders: GET /admin/v1/orders and /orders.csv (orders:read), GET /orders/{id},
// POST /orders/{id}/close and /orders/{id}/sync (orders:write)
const isoTime = z.iso.datetime({ offset: true });
const fenBound = z.coerce.number().int().min(0).max(MAX_ORDER_TOTAL_FEN);
/** The filters both the JSON list and the CSV export take; `state` may repeat. */
export const OrderFilterQuery = z.object({
  state: z
    .union([OrderStateSchema, z.array(OrderStateSchema).max(9)])
    .optional()
    .transform((v) => (v === undefined ? undefined : [...new Set(Array.isArray(v) ? v : [v])])),
  createdFrom: isoTime.optional(),
  createdTo: isoTime.optional(),
  paidFrom: isoTime.optional(),
  paidTo: isoTime.optional(),
  minFen: fenBound.optional(),
  maxFen: fenBound.optional(),
  outTradeNo: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/)
    .optional(),
  transactionId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  userId: z.uuid().optional(),
});
export type OrderFilterQuery = z.infer<typeof OrderFilterQuery>;
export const AdminOrderQuery = OrderFilterQuery.extend({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor,
});
export type AdminOrderQuery = z.infer<typeof AdminOrderQuery>;

export const AdminOrderSummary = z.object({
  id: z.string(),
  /** The shopper; null for an order created by the merchant's server (/merchant/v1). */
  userId: z.string().nullable(),
  /** "shop" (the mini-program's shop) or "merchant_api" (payment-centre mode, no product lines). */
  source: z.enum(["shop", "merchant_api"]),
  outTradeNo: z.string(),
  transactionId: z.string().nullable(),
  state: OrderStateSchema,
  totalFen: z.number().int(),
  refundedFen: z.number().int(),
  currency: z.string(),
  description: z.string(),
  createdAt: isoDate,
  expiresAt: isoDate,
  paidAt: isoDate.nullable(),
  updatedAt: isoDate,
});
export type AdminOrderSummary = z.infer<typeof AdminOrderSummary>;
export const AdminOrderPage = z.object({
  orders: z.array(AdminOrderSummary),
  nextCursor: z.string().nullable(),
});
export type AdminOrderPage = z.infer<typeof AdminOrderPage>;

export const AdminOrderEvent = z.object({
  type: z.string(),
  from: OrderStateSchema.nullable(),
  to: OrderStateSchema.nullable(),
  source: z.string(),
  at: isoDate,
});
/** A refund as the merchant sees it (GET /refunds, /refunds/{id}, and in the order detail). */
export const AdminRefund = z.object({
  id: z.string(),
  orderId: z.string(),
  outTradeNo: z.string(),
  outRefundNo: z.string(),
  /** WeChat's refund id, once WeChat has accepted the refund. */
  refundId: z.string().nullable(),
  amountFen: z.number().int(),
  reason: z.string().nullable(),
  state: RefundStateSchema,
  /** The last error code met (WeChat's, or ours such as REFUND_CERT_MISSING); null when none. */
  lastError: z.string().nullable(),
  createdAt: isoDate,
  updatedAt: isoDate,
  succeededAt: isoDate.nullable(),
});
export type AdminRefund = z.infer<typeof AdminRefund>;

export const AdminOrderDetail = AdminOrderSummary.extend({
  items: z.array(OrderItem),
  events: z.array(AdminOrderEvent),
  attempts: z.array(
    z.object({
      id: z.string(),
      outTradeNo: z.string(),
      method: PaymentMethod,
      createdAt: isoDate,
      expiresAt: isoDate,
      superseded: z.boolean(),
    }),
  ),
  tradeNumbers: z.array(
    z.object({
      outTradeNo: z.string(),
      method: PaymentMethod,
      createdAt: isoDate,
      closingAt: isoDate.nullable(),
      closedAt: isoDate.nullable(),
    }),
  ),
  anomalies: z.array(Anomaly),
  /** The order's refunds, oldest first. */
  refunds: z.array(AdminRefund),
});
export type AdminOrderDetail = z.infer<typeof AdminOrderDetail>;

// Refunds: POST /admin/v1/orders/{id}/refunds with Idempotency-Key (refunds:write),
// GET /admin/v1/refunds and /refunds/{id} (orders:read)
export const CreateRefundRequest = z
  .object({
    amountFen: z.number().int().min(1).max(MAX_ORDER_TOTAL_FEN),
    /** Shown to the shopper by WeChat (≤ 80 characters there). */
    reason: line(80).optional(),
  })
  .strict();
export type CreateRefundRequest = z.infer<typeof CreateRefundRequest>;

export const RefundQuery = z.object({
  state: z
    .union([RefundStateSchema, z.array(RefundStateSchema).max(5)])
    .optional()
    .transform((v) => (v === undefined ? undefined : [...new Set(Array.isArray(v) ? v : [v])])),
  orderId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor,
});
export type RefundQuery = z.infer<typeof RefundQuery>;
export const RefundPage = z.object({ refunds: z.array(AdminRefund), nextCursor: z.string().nullable() });
export type RefundPage = z.infer<typeof RefundPage>;

// GET /admin/v1/reports/daily?from=YYYY-MM-DD&to=YYYY-MM-DD (reports:read): days in Asia/Shanghai
export const REPORT_TIME_ZONE = "Asia/Shanghai";
export const MAX_REPORT_DAYS = 366;
export const DailyReportQuery = z
  .object({ from: z.iso.date(), to: z.iso.date() })
  .refine((q) => q.from <= q.to, { message: "from is after to", path: ["to"] })
  .refine((q) => (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 < MAX_REPORT_DAYS, {
    message: `at most ${MAX_REPORT_DAYS} days`,
    path: ["to"],
  });
export type DailyReportQuery = z.infer<typeof DailyReportQuery>;
export const DailyReportDay = z.object({
  date: z.iso.date(),
  /** Orders made that day, by their state now. */
  ordersByState: z.record(OrderStateSchema, z.number().int()),
  /** Orders paid that day (whatever happened to them since) and what they paid. */
  paidCount: z.number().int(),
  paidFen: z.number().int(),
  /** What was refunded of the orders paid that day. */
  refundedFen: z.number().int(),
  netFen: z.number().int(),
});
export type DailyReportDay = z.infer<typeof DailyReportDay>;
export const DailyReport = z.object({
  timeZone: z.literal(REPORT_TIME_ZONE),
  from: z.iso.date(),
  to: z.iso.date(),
  days: z.array(DailyReportDay),
});
export type DailyReport = z.infer<typeof DailyReport>;

// Webhooks (webhooks:write): GET/POST /admin/v1/webhook-endpoints, PATCH/DELETE …/{id},
// POST …/{id}/rotate-secret, GET /admin/v1/webhook-deliveries, POST …/{id}/retry
export const WEBHOOK_EVENTS = [
  "order.paid",
  "order.closed",
  "order.expired",
  "refund.succeeded",
  "refund.failed",
  "anomaly.flagged",
] as const;
export const WebhookEventType = z.enum(WEBHOOK_EVENTS);
export type WebhookEventType = z.infer<typeof WebhookEventType>;
const webhookUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .refine(clean, "no control characters");
const webhookEvents = z
  .array(WebhookEventType)
  .min(1)
  .max(WEBHOOK_EVENTS.length)
  .transform((s) => WEBHOOK_EVENTS.filter((e) => s.includes(e)));
export const CreateWebhookEndpointRequest = z
  .object({ url: webhookUrl, events: webhookEvents, description: text(500).default("") })
  .strict();
export type CreateWebhookEndpointRequest = z.infer<typeof CreateWebhookEndpointRequest>;
/** Any field; `enabled: true` also switches back on an endpoint the system disabled. */
export const UpdateWebhookEndpointRequest = z
  .object({ url: webhookUrl, events: webhookEvents, description: text(500), enabled: z.boolean() })
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, "at least one field");
export type UpdateWebhookEndpointRequest = z.infer<typeof UpdateWebhookEndpointRequest>;
export const WebhookEndpoint = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(WebhookEventType),
  description: z.string(),
  enabled: z.boolean(),
  /** Why the system switched it off (it kept failing), or null. */
  disabledReason: z.string().nullable(),
  /** Until then the previous secret also signs every delivery (after a rotation). */
  previousSecretExpiresAt: isoDate.nullable(),
  createdAt: isoDate,
  updatedAt: isoDate,
});
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;
export const WebhookEndpointList = z.object({ endpoints: z.array(WebhookEndpoint) });
export type WebhookEndpointList = z.infer<typeof WebhookEndpointList>;
const whsec = z.string().regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
/** The answer to POST /webhook-endpoints: the only time `secret` is shown. */
export const WebhookEndpointCreated = WebhookEndpoint.extend({ secret: whsec });
export type WebhookEndpointCreated = z.infer<typeof WebhookEndpointCreated>;
/** The answer to …/rotate-secret: the new secret, shown once; the old one still signs until the time given. */
export const WebhookSecretRotated = WebhookEndpoint.extend({ secret: whsec });
export type WebhookSecretRotated = z.infer<typeof WebhookSecretRotated>;

export const WEBHOOK_DELIVERY_STATUSES = ["pending", "succeeded", "failed"] as const;
export const WebhookDeliveryQuery = z.object({
  endpoint: z.uuid().optional(),
  event: WebhookEventType.optional(),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional(),
  limit: pageLimit,
  cursor,
});
export type WebhookDeliveryQuery = z.infer<typeof WebhookDeliveryQuery>;
export const WebhookAttempt = z.object({
  at: isoDate,
  /** null when no answer came (refused address, connection error, timeout). */
  statusCode: z.number().int().nullable(),
  latencyMs: z.number().int(),
  /** The first 1 KB of the answer. */
  responseHead: z.string().nullable(),
  error: z.string().nullable(),
});
export const WebhookDelivery = z.object({
  id: z.string(),
  endpointId: z.string(),
  /** An order's notifyUrl when the delivery went there (signed with the order-notify secret), else null. */
  targetUrl: z.string().nullable(),
  eventId: z.string(),
  eventType: z.string(),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES),
  attemptCount: z.number().int(),
  nextAttemptAt: isoDate.nullable(),
  createdAt: isoDate,
  updatedAt: isoDate,
  /** The body sent on every attempt: {id, type, createdAt, data: {object}}. */
  payload: z.unknown(),
  attempts: z.array(WebhookAttempt),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;
export const WebhookDeliveryPage = z.object({
  deliveries: z.array(WebhookDelivery),
  nextCursor: z.string().nullable(),
});
export type WebhookDeliveryPage = z.infer<typeof WebhookDeliveryPage>;

/** POST /admin/v1/order-notify-secret: the secret signing deliveries to orders' notifyUrl, shown once. */
export const OrderNotifySecret = z.object({
  secret: z.string(),
  /** When the secret it replaced stops signing (null on the first one). */
  previousSecretExpiresAt: isoDate.nullable(),
});
export type OrderNotifySecret = z.infer<typeof OrderNotifySecret>;
