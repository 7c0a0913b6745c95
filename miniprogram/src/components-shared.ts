/** Small helpers the pages share. */
import { ApiError, formatCny, type OrderState } from "@minipay/shared";
import { messageFor, systemLang, type Lang } from "./i18n";

export const yuan = formatCny;

const STATE_TEXT: Record<OrderState, { zh: string; en: string }> = {
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

export function errorText(err: unknown, lang: Lang): string {
  if (err instanceof ApiError) return messageFor(err.code, lang);
  return messageFor("NETWORK", lang);
}

/** The shopper's language: English when the system language is English, Chinese otherwise. */
export function uiLang(): Lang {
  try {
    return systemLang(uni.getSystemInfoSync().language);
  } catch {
    return "zh";
  }
}
