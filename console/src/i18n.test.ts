import { AdminApiError } from "@minipay/shared";
import { allMessages, errorText, initialLang, lang, stateName, t } from "./i18n";

afterEach(() => (lang.value = "zh"));

describe("console strings", () => {
  it("is Chinese unless the browser's first language is not", () => {
    expect(initialLang(["zh-CN", "en"])).toBe("zh");
    expect(initialLang(["en-US", "zh-CN"])).toBe("en");
    expect(initialLang([])).toBe("zh");
  });

  it("fills placeholders and follows the switch", () => {
    lang.value = "en";
    expect(t("orders.loaded", { n: 3 })).toBe("3 loaded");
    expect(stateName("partially_refunded")).toBe("Partially refunded");
    lang.value = "zh";
    expect(t("orders.loaded", { n: 3 })).toBe("已加载 3 条");
  });

  it("shows a 403 with the shared message and the missing scope", () => {
    const err = new AdminApiError("FORBIDDEN", 403, "Not allowed", "products:write");
    expect(errorText(err)).toBe("没有权限 (FORBIDDEN) · 缺少权限：products:write");
    lang.value = "en";
    expect(errorText(err)).toBe("Not allowed (FORBIDDEN) · Missing scope: products:write");
    expect(errorText(new AdminApiError("NETWORK", 0))).toContain("Network");
  });

  it("has every message in both languages, with the same placeholders", () => {
    const holes = (m: string) => [...m.matchAll(/\{(\w+)\}/g)].map((x) => x[1]).sort();
    for (const [key, zh, en] of allMessages()) {
      expect([key, zh.trim().length > 0, en.trim().length > 0]).toEqual([key, true, true]);
      expect([key, holes(zh)]).toEqual([key, holes(en)]);
    }
    lang.value = "en";
    expect(t("refund.overRemainder", { amount: "¥6.90" })).toBe("More than the refundable ¥6.90");
    expect(t("wh.attempts", { n: 2 })).toBe("2 attempts");
  });
});
