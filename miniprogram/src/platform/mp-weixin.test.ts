import { wxRandomBytes } from "./mp-weixin";

const bytes = (n: number) => new Uint8Array(Array.from({ length: n }, (_, i) => i + 1)).buffer;

describe("random bytes in WeChat", () => {
  it("come from wx.getRandomValues, or the crypto manager on older base libraries", async () => {
    expect(await wxRandomBytes({ getRandomValues: (o) => o.success({ randomValues: bytes(3) }) }, 3)).toEqual(
      new Uint8Array([1, 2, 3]),
    );
    const manager = { getRandomValues: (o: any) => o.success({ randomValues: bytes(2) }) };
    expect(await wxRandomBytes({ getUserCryptoManager: () => manager }, 2)).toEqual(new Uint8Array([1, 2]));
  });
  it("fail loudly rather than fall back to something weaker", async () => {
    await expect(wxRandomBytes({}, 16)).rejects.toThrow(/no random source/);
    await expect(
      wxRandomBytes({ getRandomValues: (o) => o.fail({ errMsg: "getRandomValues:fail" }) }, 16),
    ).rejects.toThrow(/getRandomValues:fail/);
  });
});
