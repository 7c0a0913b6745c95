/**
 * The payment-centre contract (prefix /merchant/v1, `Authorization: Bearer mk_…`, the admin API's
 * keys and scopes): a merchant's own server creates an order for an amount it chooses, and gets back
 * what its shopper needs to pay: the `wx.requestPayment` object (jsapi), a Native QR (native), or the
 * address of the hosted checkout page (h5page). The merchant's own order number is unique per
 * merchant and is how it reads and closes the order.
 */
import { z } from "zod";
import { AdminRefund, CreateRefundRequest } from "./admin";
import { OrderStateSchema, RequestPaymentParams } from "./api";
import { MAX_ORDER_TOTAL_FEN } from "./money";

export const MERCHANT_PREFIX = "/merchant/v1";

export const MerchantPayMethod = z.enum(["jsapi", "native", "h5page"]);
export type MerchantPayMethod = z.infer<typeof MerchantPayMethod>;

/** The merchant's own number: letters, digits, `_` and `-`, what most order systems produce. */
export const MerchantOrderNo = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "1-64 of [A-Za-z0-9_-]");

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001F\u007F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const utf8Bytes = (v: string) => new TextEncoder().encode(v).length;
const plain = (v: string) => !CONTROL.test(v) && !LONE_SURROGATE.test(v);

/** WeChat takes at most 127 bytes of UTF-8 as the description (v3 `description`, v2 `body`). */
export const MAX_DESCRIPTION_BYTES = 127;
export const MAX_EXPIRES_IN_MINUTES = 1440;

const httpUrl = z
  .string()
  .max(512)
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "https:" || u.protocol === "http:") && !u.username && !u.password;
    } catch {
      return false;
    }
  }, "an http(s) URL without credentials");

export const CreateMerchantOrderRequest = z
  .object({
    merchantOrderNo: MerchantOrderNo,
    amountFen: z.number().int().min(1).max(MAX_ORDER_TOTAL_FEN),
    description: z
      .string()
      .trim()
      .min(1)
      .refine(plain, "one line, no control characters")
      .refine(
        (v) => utf8Bytes(v) <= MAX_DESCRIPTION_BYTES,
        `at most ${MAX_DESCRIPTION_BYTES} bytes of UTF-8`,
      ),
    method: MerchantPayMethod,
    /** The shopper's openid under the merchant's mini-program (its appid); required for jsapi. */
    payerOpenid: z
      .string()
      .regex(/^[A-Za-z0-9_-]{6,128}$/)
      .optional(),
    expiresInMinutes: z.number().int().min(1).max(MAX_EXPIRES_IN_MINUTES).optional(),
    /** Kept with the order and given back as is; never sent to WeChat. */
    attach: z.string().max(128).refine(plain, "no control characters").optional(),
    /** Where this order's events are to be delivered (https; see the webhook fan-out). */
    notifyUrl: httpUrl.optional(),
    /** Where the hosted checkout page sends the shopper back to once the order is paid or over. */
    returnUrl: httpUrl.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.method === "jsapi" && !v.payerOpenid)
      ctx.addIssue({ code: "custom", path: ["payerOpenid"], message: "required for jsapi" });
    if (v.method !== "jsapi" && v.payerOpenid)
      ctx.addIssue({ code: "custom", path: ["payerOpenid"], message: "only for jsapi" });
  });
export type CreateMerchantOrderRequest = z.infer<typeof CreateMerchantOrderRequest>;

const isoDate = z.string();

/** How to pay: depends on the order's method; null once the order cannot be paid any more. */
export const MerchantPayment = z.discriminatedUnion("method", [
  z.object({ method: z.literal("jsapi"), params: RequestPaymentParams, prepayExpiresAt: isoDate }),
  z.object({
    method: z.literal("native"),
    codeUrl: z.string(),
    /** The code URL as a PNG data URL (what a page can put in an <img>). */
    qrDataUrl: z.string(),
    prepayExpiresAt: isoDate,
  }),
  z.object({ method: z.literal("h5page"), checkoutUrl: z.string() }),
]);
export type MerchantPayment = z.infer<typeof MerchantPayment>;

export const MerchantOrder = z.object({
  merchantOrderNo: z.string(),
  /** Our id of the order (the admin API's). */
  orderId: z.string(),
  /** The number WeChat knows the order by first (out_trade_no). */
  outTradeNo: z.string(),
  method: MerchantPayMethod,
  state: OrderStateSchema,
  amountFen: z.number().int(),
  refundedFen: z.number().int(),
  currency: z.literal("CNY"),
  description: z.string(),
  attach: z.string().nullable(),
  notifyUrl: z.string().nullable(),
  returnUrl: z.string().nullable(),
  /** The hosted checkout page (h5page orders; null for the others). */
  checkoutUrl: z.string().nullable(),
  transactionId: z.string().nullable(),
  createdAt: isoDate,
  expiresAt: isoDate,
  paidAt: isoDate.nullable(),
  /** Given on create (and its replays) while the order can be paid; absent on reads. */
  payment: MerchantPayment.nullable().optional(),
  /** On GET /orders/{merchantOrderNo}: the order's refunds, oldest first. */
  refunds: z.array(AdminRefund).optional(),
});
export type MerchantOrder = z.infer<typeof MerchantOrder>;

/** POST /merchant/v1/orders/{merchantOrderNo}/refunds: the admin refund route's body and rules. */
export const CreateMerchantRefundRequest = CreateRefundRequest;
export type CreateMerchantRefundRequest = z.infer<typeof CreateMerchantRefundRequest>;
/** A refund as /merchant/v1 shows it: the same view as GET /admin/v1/refunds/{id}. */
export const MerchantRefund = AdminRefund;
export type MerchantRefund = z.infer<typeof MerchantRefund>;

/** GET /pay/{token}/status: only what the checkout page needs. */
export const CheckoutStatus = z.object({
  state: OrderStateSchema,
  /** "pending" while it can be paid, then "paid" or "over" (closed or expired). */
  phase: z.enum(["pending", "paid", "over"]),
  returnUrl: z.string().nullable(),
});
export type CheckoutStatus = z.infer<typeof CheckoutStatus>;
