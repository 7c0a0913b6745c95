import { clientKey } from "./client-key";

describe("clientKey", () => {
  it("keeps IPv4, also when written IPv4-mapped", () => {
    expect(clientKey("203.0.113.7")).toBe("203.0.113.7");
    expect(clientKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
  });
  it("counts an IPv6 address as its /64, however it is written", () => {
    const key = "2001:db8:1:2::/64";
    expect(clientKey("2001:db8:1:2::1")).toBe(key);
    expect(clientKey("2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd")).toBe(key);
    expect(clientKey("2001:DB8:1:2:ffff::9")).toBe(key);
    expect(clientKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(clientKey("::1")).toBe("0:0:0:0::/64");
    expect(clientKey("2001:db8:1:3::1")).not.toBe(key);
  });
  it("uses anything else as given", () => {
    expect(clientKey("unknown")).toBe("unknown");
    expect(clientKey("1:2:3")).toBe("1:2:3");
    expect(clientKey("1::2::3")).toBe("1::2::3");
    expect(clientKey("zz::1")).toBe("zz::1");
  });
});
