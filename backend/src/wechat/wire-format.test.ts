import {
  civilTime,
  nonceStr,
  parseRfc3339,
  parseV2DateTime,
  parseV2Time,
  v2Time,
  v3Time,
} from "./wire-format";

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

describe("parsing WeChat times: only real calendar values", () => {
  // Per parser: inputs it must read (with the instant they mean) and inputs it must refuse.
  it.each<[string, (s: string) => Date | null, Record<string, string>, string[]]>([
    [
      "v2 compact time in UTC+8",
      parseV2Time,
      { "20240229235959": "2024-02-29T15:59:59.000Z" },
      ["99999999999999", "20230229120000", "20261125240000", "20261125126000", "2026112512000"],
    ],
    [
      "v2 refund time in UTC+8",
      parseV2DateTime,
      { "2018-11-19 16:24:13": "2018-11-19T08:24:13.000Z" },
      ["2018-11-31 16:24:13", "2018-11-19T16:24:13"],
    ],
    [
      "RFC 3339 with offset, Z and fractions",
      parseRfc3339,
      {
        "2026-11-25T10:00:00+08:00": "2026-11-25T02:00:00.000Z",
        "2026-11-25T02:00:00.250Z": "2026-11-25T02:00:00.250Z",
        "2026-11-24T21:30:00-04:30": "2026-11-25T02:00:00.000Z",
      },
      [
        "not a date",
        "2026-02-30T10:00:00+08:00",
        "2026-11-25T10:00:00+24:00",
        "2026-11-25 10:00:00+08:00",
        "2026-11-25T10:00:00",
        "1969-12-31T23:59:59Z",
      ],
    ],
  ])("%s", (_name, parse, good, bad) => {
    for (const [text, iso] of Object.entries(good)) expect(parse(text)?.toISOString()).toBe(iso);
    for (const text of bad) expect(parse(text)).toBeNull();
  });
  it("civilTime refuses roll-overs", () => {
    expect(civilTime(2026, 4, 31, 0, 0, 0, 0)).toBeNull();
    expect(civilTime(2026, 4, 30, 0, 0, 0, 480)?.toISOString()).toBe("2026-04-29T16:00:00.000Z");
  });
});
