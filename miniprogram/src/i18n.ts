/**
 * Everything the shopper reads, in one language at a time: Chinese by default, English when the
 * system language is English. Error texts come from the shared table plus the client's own codes.
 */
import { ERRORS, isErrorCode, type OrderState } from "@minipay/shared";

export type Lang = "zh" | "en";
/** One text in both languages. */
type Texts = Record<Lang, string>;

const CLIENT_ERRORS: Record<string, Texts> = {
  NETWORK: { zh: "网络不给力，请重试", en: "Network problem, please retry" },
  BAD_RESPONSE: { zh: "服务器返回了无法识别的数据", en: "The server sent something unexpected" },
  LOGIN_FAILED: { zh: "登录失败，请重试", en: "Login failed, please retry" },
  PAY_FAILED: { zh: "支付未完成", en: "The payment did not complete" },
  CONFIG: { zh: "小程序配置有误，请联系商家", en: "This mini-program is misconfigured" },
};

export function messageFor(code: string, lang: Lang): string {
  if (isErrorCode(code)) return ERRORS[code][lang];
  return (CLIENT_ERRORS[code] ?? CLIENT_ERRORS.BAD_RESPONSE!)[lang];
}

/** English only when the system language is English; Chinese otherwise. */
export function systemLang(language: string | undefined): Lang {
  return language && /^en/i.test(language) ? "en" : "zh";
}

export const UI_TEXT = {
  "title.shop": { zh: "商店", en: "Shop" },
  "title.confirm": { zh: "确认订单", en: "Confirm order" },
  "title.result": { zh: "支付结果", en: "Payment result" },
  "title.orders": { zh: "我的订单", en: "My orders" },
  "title.order": { zh: "订单详情", en: "Order details" },
  loading: { zh: "加载中…", en: "Loading…" },
  retry: { zh: "重试", en: "Retry" },
  "shop.stock": { zh: "库存 {n}", en: "{n} in stock" },
  "shop.soldOut": { zh: "已售罄", en: "Sold out" },
  "shop.checkout": { zh: "去结算", en: "Checkout" },
  "shop.myOrders": { zh: "我的订单", en: "My orders" },
  "shop.empty": { zh: "暂无商品", en: "No products yet" },
  "confirm.total": { zh: "合计", en: "Total" },
  "confirm.pay": { zh: "微信支付", en: "Pay" },
  "confirm.payQr": { zh: "扫码支付", en: "QR code" },
  "confirm.emptyCart": { zh: "购物车是空的", en: "The cart is empty" },
  "confirm.unavailable": { zh: "部分商品库存不足，请返回修改", en: "Some items are out of stock" },
  "confirm.note": {
    zh: "点击支付时创建订单，请在 30 分钟内完成支付",
    en: "Your order is placed when you tap pay; pay within 30 minutes",
  },
  "result.checking": { zh: "正在确认支付结果", en: "Checking the payment" },
  "result.paid": { zh: "支付成功", en: "Payment successful" },
  "result.waitingScan": { zh: "等待支付", en: "Waiting for payment" },
  "result.unknown": { zh: "暂时无法确认支付结果", en: "Could not check the payment yet" },
  "result.notPaid": { zh: "未支付", en: "Not paid" },
  "result.cancelled": { zh: "你已取消支付，订单仍可支付", en: "You cancelled; the order can still be paid" },
  "result.failed": { zh: "支付未完成，订单仍可支付", en: "The payment did not complete; you can try again" },
  "result.confirming": {
    zh: "支付结果确认中，可稍后在“我的订单”中查看",
    en: "We are still confirming the payment. You can check it later in My orders.",
  },
  "result.done": { zh: "完成", en: "Done" },
  "result.payAgain": { zh: "重新支付", en: "Pay again" },
  "result.recheck": { zh: "重新查询", en: "Check again" },
  "result.iPaid": { zh: "我已完成支付", en: "I have paid" },
  "result.viewOrder": { zh: "查看订单", en: "View order" },
  "result.myOrders": { zh: "我的订单", en: "My orders" },
  "result.scan": { zh: "请使用微信扫一扫，扫描二维码支付", en: "Scan the QR code with WeChat to pay" },
  "result.qrExpiresIn": { zh: "二维码 {t} 后失效", en: "The QR code expires in {t}" },
  "result.qrExpired": { zh: "二维码已失效，请重新支付", en: "The QR code has expired; pay again" },
  "result.scanInSandbox": { zh: "在沙箱中扫码", en: "Scan in the sandbox" },
  "order.amount": { zh: "订单金额", en: "Amount" },
  "order.state": { zh: "订单状态", en: "Status" },
  "order.outTradeNo": { zh: "订单号", en: "Order number" },
  "order.createdAt": { zh: "下单时间", en: "Ordered at" },
  "order.paidAt": { zh: "支付时间", en: "Paid at" },
  "order.transactionId": { zh: "微信支付单号", en: "WeChat Pay transaction" },
  "order.payWithin": { zh: "剩余支付时间 {t}", en: "Pay within {t}" },
  "order.history": { zh: "订单记录", en: "History" },
  "order.payNow": { zh: "立即支付", en: "Pay now" },
  "orders.all": { zh: "全部", en: "All" },
  "orders.unpaid": { zh: "待支付", en: "Unpaid" },
  "orders.paid": { zh: "已支付", en: "Paid" },
  "orders.closed": { zh: "已关闭", en: "Closed" },
  "orders.refunds": { zh: "退款", en: "Refunds" },
  "orders.empty": { zh: "暂无订单", en: "No orders yet" },
  "orders.more": { zh: "加载更多", en: "Load more" },
  "orders.shop": { zh: "去逛逛", en: "Go shopping" },
} satisfies Record<string, Texts>;

export type UiKey = keyof typeof UI_TEXT;

export function t(lang: Lang, key: UiKey, vars: Record<string, string | number> = {}): string {
  return UI_TEXT[key][lang].replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ""));
}

const STATE_TEXT: Record<OrderState, Texts> = {
  created: { zh: "待支付", en: "Awaiting payment" },
  paying: { zh: "待支付", en: "Awaiting payment" },
  paid: { zh: "已支付", en: "Paid" },
  closed: { zh: "已关闭", en: "Closed" },
  expired: { zh: "已过期", en: "Expired" },
  failed: { zh: "支付失败", en: "Failed" },
  refunding: { zh: "退款中", en: "Refunding" },
  partially_refunded: { zh: "部分退款", en: "Partially refunded" },
  refunded: { zh: "已退款", en: "Refunded" },
};

export function stateText(s: OrderState, lang: Lang): string {
  return STATE_TEXT[s][lang];
}

/** What to tell the shopper about a failure: the API's stable code, else "network". */
export function errorText(err: unknown, l: Lang): string {
  const code = err && typeof err === "object" ? (err as { code?: unknown }).code : undefined;
  if (typeof code === "string") return messageFor(code, l);
  // Not an API answer: a bug or a misconfiguration. Log it for the developer (WeChat's console,
  // the logic-layer test), and give the shopper something to do.
  console.error(err);
  return messageFor((err as Error | null)?.name === "ConfigError" ? "CONFIG" : "NETWORK", l);
}
