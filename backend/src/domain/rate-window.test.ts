import { windowOf } from "./rate-window";

describe("windowOf", () => {
  it("aligns to the window length and counts down to the next window", () => {
    expect(windowOf(120_000, 60_000)).toEqual({ startMs: 120_000, retryAfterSeconds: 60 });
    expect(windowOf(125_500, 60_000)).toEqual({ startMs: 120_000, retryAfterSeconds: 55 });
    expect(windowOf(179_999, 60_000)).toEqual({ startMs: 120_000, retryAfterSeconds: 1 });
  });
  it("refuses a non-positive window", () => {
    expect(() => windowOf(1, 0)).toThrow(RangeError);
  });
});
