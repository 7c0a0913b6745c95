/** Every official vector of docs/wechatpay-spec.md §5, against the sandbox's own crypto. */
import crypto from "node:crypto";
import {
  GO_PLATFORM_CERT,
  GO_PRIVATE_KEY,
  K1_PRIVATE_KEY,
  P1_PUBLIC_KEY,
  V10,
  V11_SIGNATURE,
  V12,
  V13_SIGNATURE,
  V15,
} from "../../../fixtures/wechatpay-vectors.fixture";
import { decryptEcb, encryptReqInfo, paySignV2, signV2 } from "./v2";
import {
  gcmDecrypt,
  gcmEncrypt,
  paySignV3,
  requestSigningMessage,
  responseSigningMessage,
  rsaSignB64,
  rsaVerifyB64,
} from "./v3";

const v2Params = {
  appid: "wxd930ea5d5a258f4f",
  mch_id: "10000100",
  device_info: "1000",
  body: "test",
  nonce_str: "ibuaiVcKdpRxkhJA",
};

describe("sandbox crypto against the official vectors", () => {
  it("V1/V2: v2 MD5 and HMAC-SHA256 sign", () => {
    expect(signV2(v2Params, "192006250b4c09247ec02edce69f6a2d", "MD5")).toBe(
      "9A0A8659F005D6984697E2CA0A9CF3B7",
    );
    expect(signV2(v2Params, "192006250b4c09247ec02edce69f6a2d", "HMAC-SHA256")).toBe(
      "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6",
    );
  });
  it("V3: v2 paySign", () => {
    expect(
      paySignV2(
        "wxd678efh567hg6787",
        "1490840662",
        "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
        "prepay_id=wx2017033010242291fcfe0db70013231072",
        "MD5",
        "qazwsxedcrfvtgbyhnujmikolp111111",
      ),
    ).toBe("22D9B4E54AB1950F51E0649E8810ACD6");
  });
  it("V4/V5: refund notify key and AES-256-ECB", () => {
    const key = Buffer.from(
      crypto.createHash("md5").update("exposed_your_key_here_have_risks").digest("hex"),
    );
    expect(key.toString()).toBe("4ad14ac334ab13540eb6c5479512a8e8");
    expect(decryptEcb("pZwJZBLuy3mDACEQT4YTBw==", Buffer.from("0123456789abcdef0123456789abcdef"))).toBe(
      "hello",
    );
    const sealed = encryptReqInfo("<root><a>1</a></root>", "exposed_your_key_here_have_risks");
    expect(decryptEcb(sealed, key)).toBe("<root><a>1</a></root>");
  });
  it("V6/V7/V8: AEAD_AES_256_GCM (and its 16-byte-IV and AES-128 variants)", () => {
    expect(
      gcmDecrypt(
        "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb",
        "uluk4a9R25RW",
        "associatedData",
        "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=",
      ),
    ).toBe("message");
    expect(gcmEncrypt("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb", "uluk4a9R25RW", "associatedData", "message")).toBe(
      "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=",
    );
    expect(
      gcmDecrypt(
        "0123456789abcdef0123456789abcdef",
        "0123456789abcdef",
        "world",
        "APoZlYpivU3HjbAiB4CvW1rAFr8J",
      ),
    ).toBe("hello");
    expect(
      gcmDecrypt("0123456789abcdef0123456789abcdef", "0123456789abcdef", "", "GvpmmdtYwexXIPhySs9Tlg=="),
    ).toBe("");
    expect(
      gcmDecrypt(
        "testAPIv3Key0000",
        "wCq51qZv4Yfg",
        "Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8",
        "FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROC",
      ),
    ).toBe("Hello World");
  });
  it("V10: the Go SDK's notify verifies with its certificate and decrypts", () => {
    expect(
      rsaVerifyB64(
        responseSigningMessage(V10.timestamp, V10.nonce, V10.body),
        V10.signature,
        GO_PLATFORM_CERT,
      ),
    ).toBe(true);
    const r = JSON.parse(V10.body).resource;
    expect(
      JSON.parse(gcmDecrypt(V10.apiV3Key, r.nonce, r.associated_data, r.ciphertext)).out_contract_code,
    ).toBe("21640bdbd08e473e828f3206a2741c6e");
    expect(
      rsaVerifyB64(
        responseSigningMessage(V10.timestamp, V10.nonce, V10.body + " "),
        V10.signature,
        GO_PLATFORM_CERT,
      ),
    ).toBe(false);
  });
  it("V11/V12/V13: RSA signer, request signature, v3 paySign", () => {
    expect(rsaSignB64("source", GO_PRIVATE_KEY)).toBe(V11_SIGNATURE);
    const msg = requestSigningMessage(
      "POST",
      "/v3/pay/transactions/jsapi",
      "1554208460",
      "593BEC0C930BF1AFEB40B4A08C8FB242",
      V12.body,
    );
    expect(rsaSignB64(msg, K1_PRIVATE_KEY)).toBe(V12.signature);
    // The sandbox verifies merchant requests with the public half: the doc's signature must pass.
    expect(
      rsaVerifyB64(
        msg,
        V12.signature,
        crypto.createPublicKey(K1_PRIVATE_KEY).export({ type: "spki", format: "pem" }) as string,
      ),
    ).toBe(true);
    expect(
      paySignV3(
        "wx2421b1c4370ec43b",
        "1554208460",
        "593BEC0C930BF1AFEB40B4A08C8FB242",
        "prepay_id=wx201410272009395522657a690389285100",
        K1_PRIVATE_KEY,
      ),
    ).toBe(V13_SIGNATURE);
  });
  it("V15: response verification with the WeChat Pay public key", () => {
    expect(
      rsaVerifyB64(responseSigningMessage(V15.timestamp, V15.nonce, V15.body), V15.signature, P1_PUBLIC_KEY),
    ).toBe(true);
  });
});
