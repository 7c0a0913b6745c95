import { buildXml, parseXml, XmlRejected } from "./xml";

describe("v2 xml", () => {
  it("round-trips strings in CDATA and numbers bare, even with ]]> inside", async () => {
    const xml = buildXml({ appid: "wx1", total_fee: 100, body: "a]]>b<c>&", empty: "" });
    expect(xml).toContain("<total_fee>100</total_fee>");
    expect(xml).not.toContain("<empty>");
    expect(await parseXml(xml)).toEqual({ appid: "wx1", total_fee: "100", body: "a]]>b<c>&" });
  });
  it("refuses DOCTYPE and entities (XXE, billion laughs)", async () => {
    const xxe =
      '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><a>&x;</a></xml>';
    await expect(parseXml(xxe)).rejects.toBeInstanceOf(XmlRejected);
    await expect(parseXml("<!doctype xml><xml><a>1</a></xml>")).rejects.toThrow(/DOCTYPE/);
  });
  it("refuses malformed, oversized, nested and prototype-polluting bodies", async () => {
    await expect(parseXml("<xml><a>1</xml>")).rejects.toThrow(/malformed/);
    await expect(parseXml("<xml><a>" + "x".repeat(70 * 1024) + "</a></xml>")).rejects.toThrow(/too large/);
    await expect(parseXml("<xml><a><b>1</b></a></xml>")).rejects.toThrow(/plain value/);
    await expect(parseXml("<xml><__proto__>1</__proto__></xml>")).rejects.toThrow();
  });
});
