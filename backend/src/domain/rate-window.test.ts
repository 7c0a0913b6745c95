import { retryAfterSeconds } from "./rate-window";

describe("retryAfterSeconds", () => {
  it("counts whole seconds down to the end of the window, never below 1", () => {
    expect(retryAfterSeconds(120_000, 60_000, 120_000)).toBe(60);
    expect(retryAfterSeconds(120_000, 60_000, 125_500)).toBe(55);
    expect(retryAfterSeconds(120_000, 60_000, 179_999)).toBe(1);
    // A clock a little behind the window's start (another process's) still gets a sane answer.
    expect(retryAfterSeconds(120_000, 60_000, 119_000)).toBe(60);
    expect(retryAfterSeconds(120_000, 60_000, 200_000)).toBe(1);
  });
  it("refuses a non-positive window", () => {
    expect(() => retryAfterSeconds(0, 0, 1)).toThrow(RangeError);
  });
});
