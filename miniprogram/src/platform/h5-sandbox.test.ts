import { createSandboxPlatform, resultUrl } from "./h5-sandbox";
import { classifyPayError } from "./types";

describe("H5 sandbox platform", () => {
  it("gets login codes from the sandbox and keeps the openid (same browser, same shopper)", async () => {
    const store = new Map<string, string>();
    const bodies: any[] = [];
    const p = createSandboxPlatform({
      sandboxUrl: "http://sb:3100/",
      appid: "wx1",
      appUrl: "http://be/app/#/pages/shop/shop",
      fetch: (async (_url: string, init: any) => {
        bodies.push(JSON.parse(init.body));
        return { ok: true, json: async () => ({ code: `c${bodies.length}`, openid: "oABC" }) };
      }) as any,
      storage: { get: (k) => store.get(k) ?? null, set: (k, v) => void store.set(k, v) },
      navigate: () => undefined,
      fillRandom: (b) => b.fill(7),
    });
    expect(p.appid).toBe("wx1");
    expect(await p.randomBytes(2)).toEqual(new Uint8Array([7, 7]));
    expect(await p.login()).toBe("c1");
    expect(await p.login()).toBe("c2");
    expect(bodies).toEqual([{ appid: "wx1" }, { appid: "wx1", openid: "oABC" }]);
  });

  it("pays through the cashier, which returns to the result page", async () => {
    let went = "";
    const p = createSandboxPlatform({
      sandboxUrl: "http://sb:3100",
      appid: "wx1",
      appUrl: "http://be/app/",
      fetch: fetch,
      storage: { get: () => "oABC", set: () => undefined },
      navigate: (u) => (went = u),
      fillRandom: (b) => b,
    });
    const r = await p.requestPayment(
      { timeStamp: "1", nonceStr: "n", package: "prepay_id=wx9", signType: "RSA", paySign: "s" },
      { orderId: "o1" },
    );
    expect(r).toBe("redirected");
    const u = new URL(went);
    expect(u.pathname).toBe("/__sandbox/cashier");
    expect(u.searchParams.get("prepay_id")).toBe("wx9");
    expect(u.searchParams.get("return_url")).toBe("http://be/app/#/pages/result/result?orderId=o1");
    expect(resultUrl("http://be/app/#/x", "a b")).toBe("http://be/app/#/pages/result/result?orderId=a%20b");
  });

  it("classifies requestPayment failures", () => {
    expect(classifyPayError("requestPayment:fail cancel")).toBe("cancel");
    expect(classifyPayError("requestPayment:fail (detail message)")).toBe("fail");
  });
});
