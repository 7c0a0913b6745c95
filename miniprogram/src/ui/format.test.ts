import { formatCountdown, formatTime, yuan } from "./format";

describe("formatting for the shopper", () => {
  it("shows times in China time, whatever the device's zone", () => {
    expect(formatTime("2026-11-24T10:00:00.000Z")).toBe("2026-11-24 18:00");
    expect(formatTime("2026-11-24T16:30:05.000Z", { seconds: true })).toBe("2026-11-25 00:30:05");
    expect(formatTime(null)).toBe("");
    expect(formatTime("not a date")).toBe("");
  });
  it("counts down in mm:ss", () => {
    expect(formatCountdown(29 * 60_000 + 5_400)).toBe("29:05");
    expect(formatCountdown(2 * 3600_000 + 61_000)).toBe("2:01:01");
    expect(formatCountdown(-5)).toBe("00:00");
  });
  it("formats fen as yuan", () => {
    expect(yuan(990)).toBe("¥9.90");
  });
});
