import { nonceStr, parseV2Time, v2Time, v3Time } from "./wire-format";

describe("nonces and WeChat time formats", () => {
  it("makes 32-char alphanumeric nonces", () => {
    const a = nonceStr();
    expect(a).toMatch(/^[0-9A-Za-z]{32}$/);
    expect(nonceStr()).not.toBe(a);
  });
  it("formats Beijing time", () => {
    const d = new Date("2026-11-24T16:30:05Z");
    expect(v2Time(d)).toBe("20261125003005");
    expect(v3Time(d)).toBe("2026-11-25T00:30:05+08:00");
    expect(parseV2Time("20261125003005")?.toISOString()).toBe("2026-11-24T16:30:05.000Z");
    expect(parseV2Time("bad")).toBeNull();
  });
});
