import { addressProblem, checkWebhookUrl, ipv6Groups, resolvedProblem } from "./webhook-address";

describe("webhook address checks", () => {
  it.each([
    ["10.0.0.1", "private"],
    ["10.255.255.255", "private"],
    ["127.0.0.1", "loopback"],
    ["127.10.20.30", "loopback"],
    ["169.254.169.254", "link-local"],
    ["172.16.0.1", "private"],
    ["172.31.255.254", "private"],
    ["192.168.1.1", "private"],
    ["0.0.0.0", "unspecified"],
    ["100.64.0.1", "shared (carrier-grade NAT)"],
    ["224.0.0.1", "multicast"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "link-local"],
    ["febf::1", "link-local"],
    ["fc00::1", "unique-local"],
    ["fd12:3456::1", "unique-local"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:10.1.2.3", "private"],
    ["::ffff:169.254.169.254", "link-local"],
    ["::127.0.0.1", "loopback"],
    ["64:ff9b::10.0.0.1", "private"],
    ["0:0:0:0:0:ffff:c0a8:0101", "private"],
  ])("%s is refused (%s)", (ip, why) => {
    expect(addressProblem(ip)).toBe(why);
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "172.32.0.1",
    "172.15.255.255",
    "93.184.216.34",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
  ])("%s is public", (ip) => {
    expect(addressProblem(ip)).toBeNull();
  });

  it("anything that is not an address is refused", () => {
    expect(addressProblem("example.com")).toBe("not an IP address");
    expect(addressProblem("1.2.3")).toBe("not an IP address");
  });

  it("parses IPv6 forms into eight groups", () => {
    expect(ipv6Groups("::1")).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(ipv6Groups("::ffff:1.2.3.4")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]);
    expect(ipv6Groups("1:2:3:4:5:6:7:8")).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(ipv6Groups("1::2::3")).toBeNull();
    expect(ipv6Groups("fe80::1%eth0")).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1]);
  });

  it("URLs: https only, no credentials, and a literal address must be public", () => {
    expect(checkWebhookUrl("https://hooks.example.com/minipay", false)).toMatchObject({
      ok: true,
      literal: false,
    });
    expect(checkWebhookUrl("http://hooks.example.com/minipay", false)).toEqual({
      ok: false,
      reason: "https only",
    });
    expect(checkWebhookUrl("ftp://hooks.example.com/", true)).toEqual({ ok: false, reason: "https only" });
    expect(checkWebhookUrl("https://user:pw@hooks.example.com/", false)).toMatchObject({ ok: false });
    expect(checkWebhookUrl("https://10.1.2.3/hook", false)).toEqual({ ok: false, reason: "private address" });
    expect(checkWebhookUrl("https://127.0.0.1:8443/hook", false)).toEqual({
      ok: false,
      reason: "loopback address",
    });
    expect(checkWebhookUrl("https://169.254.169.254/latest", false)).toMatchObject({ ok: false });
    expect(checkWebhookUrl("https://[::1]/hook", false)).toEqual({ ok: false, reason: "loopback address" });
    expect(checkWebhookUrl("https://[::ffff:127.0.0.1]/hook", false)).toMatchObject({ ok: false });
    // Hosts written in other IPv4 notations are normalised by the URL parser first.
    expect(checkWebhookUrl("https://2130706433/hook", false)).toMatchObject({ ok: false });
    expect(checkWebhookUrl("https://0x7f.1/hook", false)).toMatchObject({ ok: false });
    expect(checkWebhookUrl("not a url", false)).toEqual({ ok: false, reason: "not a URL" });
  });

  it("ALLOW_PRIVATE_WEBHOOKS lets loopback and http:// through", () => {
    expect(checkWebhookUrl("http://127.0.0.1:4000/hook", true)).toMatchObject({
      ok: true,
      host: "127.0.0.1",
    });
    expect(checkWebhookUrl("http://[::1]:4000/hook", true)).toMatchObject({ ok: true, host: "::1" });
    expect(resolvedProblem(["127.0.0.1"], true)).toBeNull();
  });

  it("after resolution every address must be public", () => {
    expect(resolvedProblem(["93.184.216.34"], false)).toBeNull();
    expect(resolvedProblem(["93.184.216.34", "10.0.0.5"], false)).toBe("resolves to a private address");
    expect(resolvedProblem([], false)).toBe("does not resolve");
  });
});
