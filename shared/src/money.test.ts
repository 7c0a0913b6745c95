import { formatCny, formatYuan, sumFen, isFen } from "./money";

describe("money in fen", () => {
  it("formats fen as yuan without floats", () => {
    expect(formatYuan(0)).toBe("0.00");
    expect(formatYuan(1)).toBe("0.01");
    expect(formatYuan(12345)).toBe("123.45");
    expect(formatYuan(-5)).toBe("-0.05");
    expect(formatCny(990)).toBe("¥9.90");
  });
  it("rejects non-integers", () => {
    expect(() => formatYuan(1.5)).toThrow(RangeError);
    expect(isFen(1.5)).toBe(false);
    expect(isFen(-1)).toBe(false);
    expect(isFen(100)).toBe(true);
  });
  it("sums exactly and refuses overflow", () => {
    expect(sumFen([10, 20, 30])).toBe(60);
    expect(() => sumFen([Number.MAX_SAFE_INTEGER, 1])).toThrow(RangeError);
  });
});
