import {
  lastDays,
  parseYuan,
  percent,
  shanghaiDate,
  shanghaiDayEnd,
  shanghaiDayStart,
  shanghaiTime,
  yuan,
} from "./format";

describe("console formatting", () => {
  it("shows fen as yuan with separators, signs and two decimals", () => {
    expect(yuan(0)).toBe("¥0.00");
    expect(yuan(5)).toBe("¥0.05");
    expect(yuan(990)).toBe("¥9.90");
    expect(yuan(123_456_789)).toBe("¥1,234,567.89");
    expect(yuan(-500)).toBe("-¥5.00");
  });

  it("reads what a person typed as yuan, or refuses it", () => {
    expect(parseYuan("12")).toBe(1200);
    expect(parseYuan(" 12.3 ")).toBe(1230);
    expect(parseYuan("¥1,234.05")).toBe(123405);
    expect(parseYuan("0.1")).toBe(10);
    for (const bad of ["", "abc", "1.234", "-1", "1e3", "12."]) expect(parseYuan(bad)).toBeNull();
  });

  it("shows instants in Shanghai time, across the day line, whatever the input offset", () => {
    expect(shanghaiTime("2026-11-24T10:00:00.000Z")).toBe("2026-11-24 18:00:00");
    expect(shanghaiTime("2026-11-24T16:30:05Z")).toBe("2026-11-25 00:30:05");
    expect(shanghaiTime("2026-11-25T00:30:05+08:00")).toBe("2026-11-25 00:30:05");
    expect(shanghaiTime(null)).toBe("");
    expect(shanghaiTime("not a time")).toBe("");
  });

  it("counts days and their bounds in Shanghai", () => {
    const lateUtc = new Date("2026-11-24T17:00:00Z"); // already the 25th in Shanghai
    expect(shanghaiDate(lateUtc)).toBe("2026-11-25");
    expect(lastDays(lateUtc, 30)).toEqual({ from: "2026-10-27", to: "2026-11-25" });
    expect(lastDays(lateUtc, 1)).toEqual({ from: "2026-11-25", to: "2026-11-25" });
    expect(shanghaiDayStart("2026-11-25")).toBe("2026-11-25T00:00:00+08:00");
    expect(shanghaiDayEnd("2026-12-31")).toBe("2027-01-01T00:00:00+08:00");
  });

  it("gives a conversion rate, or a dash for nothing created", () => {
    expect(percent(1, 3)).toBe("33.3%");
    expect(percent(0, 0)).toBe("—");
  });
});
