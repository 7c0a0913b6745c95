import { windowRange } from "./window";

describe("windowRange: the rows a windowed list draws", () => {
  it("draws nothing for an empty list", () => {
    expect(windowRange(0, 600, 40, 0, 8)).toEqual({ start: 0, end: 0, before: 0, after: 0 });
  });

  it("at the top: the rows in view plus the overscan below, the rest as the bottom spacer", () => {
    // 600 px / 40 px = 15 rows in view, one more for a partly shown row, 8 overscan.
    expect(windowRange(0, 600, 40, 3000, 8)).toEqual({ start: 0, end: 24, before: 0, after: 2976 * 40 });
  });

  it("in the middle: overscan on both sides, spacers add up to the whole list", () => {
    const r = windowRange(1000 * 40 + 15, 600, 40, 3000, 8);
    expect(r.start).toBe(992);
    expect(r.end).toBe(1000 + 16 + 8);
    expect(r.before + (r.end - r.start) * 40 + r.after).toBe(3000 * 40);
  });

  it("at the bottom: the last row is drawn and the bottom spacer is empty", () => {
    const r = windowRange(3000 * 40 - 600, 600, 40, 3000, 8);
    expect(r.end).toBe(3000);
    expect(r.after).toBe(0);
    expect(r.start).toBe(3000 - 15 - 8);
  });

  it("a scroll position past the end (the list shrank) still draws its last rows", () => {
    const r = windowRange(10_000_000, 600, 40, 50, 8);
    expect(r.end).toBe(50);
    expect(r.start).toBe(41);
    expect(r.after).toBe(0);
  });

  it("a short list is drawn whole; a negative (rubber-band) scroll counts as the top", () => {
    expect(windowRange(-30, 600, 40, 5, 8)).toEqual({ start: 0, end: 5, before: 0, after: 0 });
  });

  it("never draws more than the view and twice the overscan, however long the list", () => {
    for (const top of [0, 123, 40_000, 119_400]) {
      const r = windowRange(top, 900, 40, 3000, 10);
      expect(r.end - r.start).toBeLessThanOrEqual(Math.ceil(900 / 40) + 1 + 20);
    }
  });
});
