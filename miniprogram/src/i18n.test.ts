import { ERRORS } from "@minipay/shared";
import { errorText, messageFor, systemLang, t, UI_TEXT } from "./i18n";

describe("shopper texts", () => {
  it("uses the shared table in Chinese, English when the system language is English", () => {
    expect(messageFor("ORDER_NOT_FOUND", systemLang("zh_CN"))).toBe(ERRORS.ORDER_NOT_FOUND.zh);
    expect(messageFor("ORDER_NOT_FOUND", systemLang("en-US"))).toBe(ERRORS.ORDER_NOT_FOUND.en);
    expect(systemLang(undefined)).toBe("zh");
  });
  it("has its own codes for network trouble and falls back for unknown ones", () => {
    expect(messageFor("NETWORK", "zh")).toBe("网络不给力，请重试");
    expect(messageFor("SOMETHING_NEW", "en")).toBe("The server sent something unexpected");
  });
  it("fills placeholders, one language at a time", () => {
    expect(t("zh", "shop.stock", { n: 3 })).toBe("库存 3");
    expect(t("en", "result.qrExpiresIn", { t: "01:59" })).toBe("The QR code expires in 01:59");
    expect(t("en", "result.done")).not.toMatch(/[\u4e00-\u9fff]/);
  });
  it("English texts have no Chinese in them (one language at a time)", () => {
    for (const [k, v] of Object.entries(UI_TEXT))
      expect([k, v.en]).not.toEqual([k, expect.stringMatching(/[\u4e00-\u9fff]/)]);
  });
  it("turns API codes into text; anything else is logged (a bug) and offers a retry", () => {
    const log = jest.spyOn(console, "error").mockImplementation(() => undefined);
    expect(errorText({ code: "OUT_OF_STOCK" }, "zh")).toBe(ERRORS.OUT_OF_STOCK.zh);
    expect(log).not.toHaveBeenCalled();
    const bug = new ReferenceError("crypto is not defined");
    expect(errorText(bug, "en")).toBe("Network problem, please retry");
    expect(log).toHaveBeenCalledWith(bug);
    log.mockRestore();
  });
});
