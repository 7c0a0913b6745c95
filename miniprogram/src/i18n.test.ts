import { ERRORS } from "@minipay/shared";
import { messageFor, systemLang } from "./i18n";

describe("error messages for the shopper", () => {
  it("uses the shared table in Chinese, English when the system language is English", () => {
    expect(messageFor("ORDER_NOT_FOUND", systemLang("zh_CN"))).toBe(ERRORS.ORDER_NOT_FOUND.zh);
    expect(messageFor("ORDER_NOT_FOUND", systemLang("en-US"))).toBe(ERRORS.ORDER_NOT_FOUND.en);
    expect(systemLang(undefined)).toBe("zh");
  });
  it("has its own codes for network trouble and falls back for unknown ones", () => {
    expect(messageFor("NETWORK", "zh")).toBe("网络不给力，请重试");
    expect(messageFor("SOMETHING_NEW", "en")).toBe("The server sent something unexpected");
  });
});
