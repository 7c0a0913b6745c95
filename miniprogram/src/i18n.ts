/** Error messages for the shopper: the shared table's zh/en text, plus the client's own codes. */
import { ERRORS, isErrorCode } from "@minipay/shared";

export type Lang = "zh" | "en";

const CLIENT_ERRORS: Record<string, { zh: string; en: string }> = {
  NETWORK: { zh: "网络不给力，请重试", en: "Network problem, please retry" },
  BAD_RESPONSE: { zh: "服务器返回了无法识别的数据", en: "The server sent something unexpected" },
  LOGIN_FAILED: { zh: "登录失败，请重试", en: "Login failed, please retry" },
  PAY_FAILED: { zh: "支付未完成", en: "The payment did not complete" },
};

export function messageFor(code: string, lang: Lang): string {
  if (isErrorCode(code)) return ERRORS[code][lang];
  return (CLIENT_ERRORS[code] ?? CLIENT_ERRORS.BAD_RESPONSE!)[lang];
}

/** English only when the system language is English; Chinese otherwise. */
export function systemLang(language: string | undefined): Lang {
  return language && /^en/i.test(language) ? "en" : "zh";
}
