import crypto from "node:crypto";
import { aesEcbEncrypt, decryptReqInfo, refundNotifyKey } from "./refund-notify";

describe("v2 refund notify crypto", () => {
  it("V4: the key is the lower-case hex md5 of the APIv2 key", () => {
    expect(refundNotifyKey("exposed_your_key_here_have_risks").toString()).toBe(
      "4ad14ac334ab13540eb6c5479512a8e8",
    );
  });
  it("V5: AES-256-ECB/PKCS7 of 'hello'", () => {
    expect(aesEcbEncrypt("hello", Buffer.from("0123456789abcdef0123456789abcdef"))).toBe(
      "pZwJZBLuy3mDACEQT4YTBw==",
    );
  });
  it("decrypts req_info made with the merchant key and fails closed on another key", () => {
    const key = "k".repeat(32);
    const ct = aesEcbEncrypt("<root><out_refund_no>R1</out_refund_no></root>", refundNotifyKey(key));
    expect(decryptReqInfo(ct, key)).toContain("R1");
    expect(() => decryptReqInfo(ct, crypto.randomBytes(16).toString("hex"))).toThrow();
  });
});
