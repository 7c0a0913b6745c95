import { ERRORS, ERROR_CODES, errorMessage, isErrorCode } from "./errors";

describe("error table", () => {
  it("has zh and en text and a 4xx/5xx status for every code", () => {
    for (const code of ERROR_CODES) {
      const e = ERRORS[code];
      expect(e.zh.length).toBeGreaterThan(0);
      expect(e.en.length).toBeGreaterThan(0);
      expect(e.status).toBeGreaterThanOrEqual(400);
      expect(e.status).toBeLessThan(600);
    }
  });
  it("codes are upper snake case", () => {
    for (const code of ERROR_CODES) expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/);
  });
  it("looks up messages by language", () => {
    expect(errorMessage("ORDER_NOT_FOUND", "en")).toBe("The order does not exist");
    expect(errorMessage("ORDER_NOT_FOUND")).toBe("订单不存在");
    expect(isErrorCode("ORDER_NOT_FOUND")).toBe(true);
    expect(isErrorCode("NOPE")).toBe(false);
  });
});
