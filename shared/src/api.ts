/**
 * The HTTP contract between the mini-program and the backend (prefix /api/v1). Both sides parse
 * with these schemas, so a field renamed here breaks the type-check of both.
 */
import { z } from "zod";
import { ORDER_STATES } from "./order-states";
import { ERROR_CODES } from "./errors";

export const API_PREFIX = "/api/v1";

const fen = z.number().int().nonnegative();

/** Product ids: what merchants may name a product. A closed character set keeps control bytes (NUL)
 * and look-alikes out of every query and log line. */
export const ProductId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, "1-64 of [A-Za-z0-9_.:-], starting with a letter or digit");
const isoDate = z.string();

/** A WeChat appid as WeChat issues them ("wx" + 16 hex digits); the sandbox's appids have the same form. */
export const Appid = z.string().regex(/^wx[0-9a-f]{16}$/, "an appid is wx followed by 16 hex digits");

// POST /api/v1/session. `appid` names the mini-program (and so the merchant); it may be left out
// only when the backend serves exactly one app.
export const SessionRequest = z
  .object({ code: z.string().min(1).max(128), appid: Appid.optional() })
  .strict();
export type SessionRequest = z.infer<typeof SessionRequest>;
export const SessionResponse = z.object({
  token: z.string(),
  expiresAt: isoDate,
  user: z.object({ id: z.string(), openidHint: z.string() }),
});
export type SessionResponse = z.infer<typeof SessionResponse>;

// GET /api/v1/products
export const Product = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  priceFen: fen,
  stock: z.number().int().nonnegative(),
  imageUrl: z.string().nullable(),
});
export type Product = z.infer<typeof Product>;
export const ProductList = z.object({ products: z.array(Product) });
export type ProductList = z.infer<typeof ProductList>;

// POST /api/v1/orders (header Idempotency-Key)
export const MAX_QUANTITY_PER_LINE = 99;
export const MAX_LINES_PER_ORDER = 20;
export const CreateOrderRequest = z
  .object({
    items: z
      .array(
        z
          .object({
            productId: ProductId,
            quantity: z.number().int().min(1).max(MAX_QUANTITY_PER_LINE),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_LINES_PER_ORDER),
  })
  .strict();
export type CreateOrderRequest = z.infer<typeof CreateOrderRequest>;

export const OrderItem = z.object({
  productId: z.string(),
  name: z.string(),
  unitPriceFen: fen,
  quantity: z.number().int().positive(),
  subtotalFen: fen,
});
export type OrderItem = z.infer<typeof OrderItem>;

// POST /api/v1/quotes: the server's price for a cart. Reserves nothing and creates no order, so a
// confirm page can show it as often as it likes; the order is made when the shopper taps pay.
export const QuoteRequest = CreateOrderRequest;
export type QuoteRequest = z.infer<typeof QuoteRequest>;
export const QuoteLine = OrderItem.extend({
  /** Units in stock now (not reserved for this shopper). */
  stock: z.number().int().nonnegative(),
});
export const Quote = z.object({
  items: z.array(QuoteLine),
  totalFen: fen,
  currency: z.literal("CNY"),
  description: z.string(),
  /** True when every line can be bought now (stock and per-shopper limits). */
  available: z.boolean(),
});
export type Quote = z.infer<typeof Quote>;

export const OrderStateSchema = z.enum(ORDER_STATES);

/** Events the shopper may see (no secrets, no raw WeChat payloads). */
export const OrderEvent = z.object({
  type: z.string(),
  from: OrderStateSchema.nullable(),
  to: OrderStateSchema.nullable(),
  at: isoDate,
});
export type OrderEvent = z.infer<typeof OrderEvent>;

/** A refund's states (backend/src/domain/refund-machine.ts has the allowed moves). */
export const REFUND_STATES = ["pending", "processing", "succeeded", "failed", "closed"] as const;
export const RefundStateSchema = z.enum(REFUND_STATES);
export type RefundState = z.infer<typeof RefundStateSchema>;

/** A refund as the shopper sees it on the order: amount, state and times, nothing internal. */
export const OrderRefund = z.object({
  amountFen: fen,
  state: RefundStateSchema,
  createdAt: isoDate,
  succeededAt: isoDate.nullable(),
});
export type OrderRefund = z.infer<typeof OrderRefund>;

export const Order = z.object({
  id: z.string(),
  outTradeNo: z.string(),
  state: OrderStateSchema,
  totalFen: fen,
  refundedFen: fen,
  currency: z.literal("CNY"),
  description: z.string(),
  items: z.array(OrderItem),
  createdAt: isoDate,
  expiresAt: isoDate,
  paidAt: isoDate.nullable(),
  /** WeChat's transaction id (微信支付单号) once paid: what the shopper's WeChat receipt shows. */
  transactionId: z.string().nullable(),
  events: z.array(OrderEvent).optional(),
  /** The order's refunds, oldest first (on the order's detail only). */
  refunds: z.array(OrderRefund).optional(),
});
export type Order = z.infer<typeof Order>;

export const OrderList = z.object({ orders: z.array(Order), nextCursor: z.string().nullable() });
export type OrderList = z.infer<typeof OrderList>;
export const OrderListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(50).default(20),
  cursor: z.string().max(200).optional(),
});

// POST /api/v1/orders/{id}/payments
export const PaymentMethod = z.enum(["jsapi", "native"]);
export type PaymentMethod = z.infer<typeof PaymentMethod>;
export const CreatePaymentRequest = z.object({ method: PaymentMethod }).strict();
export type CreatePaymentRequest = z.infer<typeof CreatePaymentRequest>;

/** Exactly what wx.requestPayment / uni.requestPayment takes. */
export const RequestPaymentParams = z.object({
  timeStamp: z.string(),
  nonceStr: z.string(),
  package: z.string(),
  signType: z.enum(["MD5", "HMAC-SHA256", "RSA"]),
  paySign: z.string(),
});
export type RequestPaymentParams = z.infer<typeof RequestPaymentParams>;

export const PaymentResponse = z.discriminatedUnion("method", [
  z.object({
    method: z.literal("jsapi"),
    orderId: z.string(),
    params: RequestPaymentParams,
    prepayExpiresAt: isoDate,
  }),
  z.object({
    method: z.literal("native"),
    orderId: z.string(),
    codeUrl: z.string(),
    qrDataUrl: z.string(),
    prepayExpiresAt: isoDate,
  }),
]);
export type PaymentResponse = z.infer<typeof PaymentResponse>;

// Error body for every 4xx/5xx
export const ErrorBody = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES as [string, ...string[]]),
    message: z.string(),
    requestId: z.string().optional(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

// GET /api/v1/config: what a client needs before login (no secrets).
export const ClientConfig = z.object({
  appid: z.string(),
  /** Base URL of the WeChat sandbox when the backend runs against it; null against real WeChat. */
  sandboxUrl: z.string().nullable(),
  paymentMethods: z.array(PaymentMethod),
});
export type ClientConfig = z.infer<typeof ClientConfig>;
