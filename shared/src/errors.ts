/**
 * Every error a client can see. The code string is the stable contract (clients switch on it);
 * the messages are what a client may show, in Chinese and English; status is the HTTP status.
 * Add codes, never rename or reuse them.
 */
export const ERRORS = {
  VALIDATION_FAILED: { status: 400, zh: "请求参数不正确", en: "The request is not valid" },
  MALFORMED_JSON: { status: 400, zh: "请求体不是合法的 JSON", en: "The request body is not valid JSON" },
  MALFORMED_XML: { status: 400, zh: "请求体不是合法的 XML", en: "The request body is not valid XML" },
  BODY_TOO_LARGE: { status: 413, zh: "请求体过大", en: "The request body is too large" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, zh: "不支持的内容类型", en: "Unsupported content type" },
  NOT_FOUND: { status: 404, zh: "接口不存在", en: "No such endpoint" },
  METHOD_NOT_ALLOWED: { status: 405, zh: "不支持该请求方法", en: "Method not allowed" },
  UNAUTHENTICATED: { status: 401, zh: "请先登录", en: "Please log in" },
  SESSION_EXPIRED: {
    status: 401,
    zh: "登录已过期，请重新登录",
    en: "Your session has expired, please log in again",
  },
  LOGIN_CODE_INVALID: { status: 401, zh: "登录凭证无效或已过期", en: "The login code is invalid or expired" },
  LOGIN_CODE_USED: { status: 401, zh: "登录凭证已被使用", en: "The login code has already been used" },
  LOGIN_BLOCKED: { status: 403, zh: "该用户暂时无法登录", en: "This user cannot log in right now" },
  APP_UNKNOWN: {
    status: 400,
    zh: "小程序未接入或 appid 不正确",
    en: "This mini-program (appid) is not configured here",
  },
  MERCHANT_DISABLED: {
    status: 403,
    zh: "该商户已停止接单",
    en: "This shop is not taking new orders",
  },
  PAYMENT_METHOD_SWITCHED: {
    status: 409,
    zh: "已改用其他支付方式，请重新发起支付",
    en: "Another payment method was started for this order; start the payment again",
  },
  PAYMENT_ATTEMPTS_EXCEEDED: {
    status: 409,
    zh: "该订单切换支付方式次数过多",
    en: "This order has switched payment method too many times",
  },
  FORBIDDEN: { status: 403, zh: "没有权限", en: "Not allowed" },
  PRODUCT_NOT_FOUND: { status: 400, zh: "商品不存在或已下架", en: "The product does not exist" },
  QUANTITY_INVALID: { status: 400, zh: "购买数量不正确", en: "The quantity is not valid" },
  OUT_OF_STOCK: { status: 409, zh: "库存不足", en: "Not enough stock" },
  ORDER_TOO_LARGE: { status: 400, zh: "订单金额超出上限", en: "The order total is over the limit" },
  TOO_MANY_OPEN_ORDERS: {
    status: 409,
    zh: "未支付的订单过多，请先支付或等待订单过期",
    en: "Too many unpaid orders; pay or let one expire first",
  },
  QUANTITY_LIMIT: {
    status: 409,
    zh: "该商品的购买数量超出每人限额",
    en: "This exceeds the per-shopper limit for the product",
  },
  IDEMPOTENCY_KEY_REQUIRED: {
    status: 400,
    zh: "缺少 Idempotency-Key 请求头",
    en: "The Idempotency-Key header is required",
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 409,
    zh: "Idempotency-Key 已用于另一个请求",
    en: "This Idempotency-Key was used for a different request",
  },
  ORDER_NOT_FOUND: { status: 404, zh: "订单不存在", en: "The order does not exist" },
  ORDER_NOT_PAYABLE: { status: 409, zh: "订单当前不可支付", en: "The order cannot be paid now" },
  ORDER_EXPIRED: { status: 409, zh: "订单已过期", en: "The order has expired" },
  ORDER_ALREADY_PAID: { status: 409, zh: "订单已支付", en: "The order is already paid" },
  PAYMENT_METHOD_UNSUPPORTED: { status: 400, zh: "不支持的支付方式", en: "Unsupported payment method" },
  RATE_LIMITED: { status: 429, zh: "操作太频繁，请稍后再试", en: "Too many requests, please retry later" },
  WECHAT_BUSY: { status: 503, zh: "微信服务繁忙，请稍后再试", en: "WeChat is busy, please retry later" },
  UPSTREAM_ERROR: {
    status: 502,
    zh: "支付服务异常，请稍后再试",
    en: "The payment service failed, please retry",
  },
  UPSTREAM_UNAVAILABLE: {
    status: 503,
    zh: "支付服务暂时不可用",
    en: "The payment service is temporarily unavailable",
  },
  SERVICE_UNAVAILABLE: {
    status: 503,
    zh: "服务暂时不可用，请稍后再试",
    en: "The service is temporarily unavailable, please retry",
  },
  NOTIFY_REJECTED: { status: 400, zh: "通知验证失败", en: "The notification was rejected" },
  REFUND_NOT_ALLOWED: { status: 409, zh: "当前订单不可退款", en: "The order cannot be refunded now" },
  REFUND_AMOUNT_INVALID: { status: 400, zh: "退款金额不正确", en: "The refund amount is not valid" },
  REFUND_CERT_MISSING: {
    status: 409,
    zh: "商户未配置退款所需的 API 客户端证书",
    en: "The merchant has no API client certificate, which WeChat Pay v2 refunds require",
  },
  REFUND_REJECTED: { status: 409, zh: "微信支付拒绝了该退款", en: "WeChat Pay refused the refund" },
  REFUND_COUNT_EXCEEDED: {
    status: 409,
    zh: "该订单的退款次数已达上限",
    en: "This order has reached the maximum number of refunds",
  },
  RESOURCE_NOT_FOUND: { status: 404, zh: "资源不存在", en: "No such resource" },
  PRODUCT_EXISTS: { status: 409, zh: "商品编号已存在", en: "A product with this id already exists" },
  STOCK_BELOW_ZERO: {
    status: 409,
    zh: "库存不能小于零（含已被未完成订单占用的数量）",
    en: "Stock cannot go below zero (units held by open orders are already taken out)",
  },
  ANOMALY_ALREADY_RESOLVED: { status: 409, zh: "该异常已处理", en: "This anomaly is already resolved" },
  ORDER_NOT_CLOSABLE: {
    status: 409,
    zh: "只有未支付的订单可以关闭",
    en: "Only an unpaid order can be closed",
  },
  BILL_NOT_READY: {
    status: 503,
    zh: "微信账单尚未生成，请稍后再试",
    en: "WeChat has not finished the bill for that day yet; retry later",
  },
  BILL_REJECTED: {
    status: 502,
    zh: "微信账单校验失败（摘要或格式不符）",
    en: "WeChat's bill failed its check (hash or layout)",
  },
  WEBHOOK_URL_REFUSED: {
    status: 400,
    zh: "回调地址不可用：须为 https 且解析到公网地址",
    en: "The webhook URL is refused: it must be https and resolve to public addresses",
  },
  MERCHANT_ORDER_CONFLICT: {
    status: 409,
    zh: "该商户订单号已用于另一笔不同的订单",
    en: "This merchantOrderNo was already used for a different order",
  },
  MERCHANT_URL_NOT_ALLOWED: {
    status: 400,
    zh: "回调或返回地址必须是 https 地址",
    en: "notifyUrl and returnUrl must be https URLs",
  },
  INTERNAL: { status: 500, zh: "服务器内部错误", en: "Internal server error" },
} as const satisfies Record<string, { status: number; zh: string; en: string }>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.prototype.hasOwnProperty.call(ERRORS, code);
}

export function errorMessage(code: ErrorCode, lang: "zh" | "en" = "zh"): string {
  return ERRORS[code][lang];
}
