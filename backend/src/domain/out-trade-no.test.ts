import crypto from "node:crypto";
import { OUT_TRADE_NO_RE, newOutTradeNo } from "./out-trade-no";

describe("out_trade_no", () => {
  it("fits WeChat's 6–32 char alphabet and is unique", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const no = newOutTradeNo(new Date("2026-11-24T10:00:00Z"), crypto.randomBytes);
      expect(no).toMatch(OUT_TRADE_NO_RE);
      expect(no.startsWith("MP20261124")).toBe(true);
      seen.add(no);
    }
    expect(seen.size).toBe(1000);
  });
});
