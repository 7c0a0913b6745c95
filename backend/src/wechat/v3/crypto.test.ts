import crypto from "node:crypto";
import { NotifyRejectedError } from "../errors";
import { aeadDecrypt } from "./aead";
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
} from "../../../../fixtures/wechatpay-vectors.fixture";
import { authorizationHeader, requestMessage, rsaSign, v3PaySign } from "./sign";
import {
  CombinedVerifier,
  PlatformCertificateVerifier,
  PublicKeyVerifier,
  verifyWechatSignature,
} from "./verify";

describe("v3 signing with the official vectors", () => {
  it("V11: RSA signer over 'source'", () => {
    expect(rsaSign("source", GO_PRIVATE_KEY)).toBe(V11_SIGNATURE);
  });
  it("V12: request signature", () => {
    const msg = requestMessage(
      "POST",
      "/v3/pay/transactions/jsapi",
      "1554208460",
      "593BEC0C930BF1AFEB40B4A08C8FB242",
      V12.body,
    );
    expect(rsaSign(msg, K1_PRIVATE_KEY)).toBe(V12.signature);
    const h = authorizationHeader({
      mchid: "1900007291",
      serialNo: "ABC",
      privateKeyPem: K1_PRIVATE_KEY,
      method: "POST",
      canonicalUrl: "/v3/pay/transactions/jsapi",
      body: V12.body,
      timestamp: "1554208460",
      nonce: "593BEC0C930BF1AFEB40B4A08C8FB242",
    });
    expect(h).toMatch(/^WECHATPAY2-SHA256-RSA2048 mchid="1900007291",/);
    expect(h).toContain(`signature="${V12.signature}"`);
  });
  it("V13: mini-program paySign", () => {
    expect(
      v3PaySign(
        "wx2421b1c4370ec43b",
        "1554208460",
        "593BEC0C930BF1AFEB40B4A08C8FB242",
        "prepay_id=wx201410272009395522657a690389285100",
        K1_PRIVATE_KEY,
      ),
    ).toBe(V13_SIGNATURE);
  });
  it("the Go test key is the private key of the V10 certificate", () => {
    const pub = new crypto.X509Certificate(GO_PLATFORM_CERT).publicKey;
    expect(crypto.verify("sha256", Buffer.from("source"), pub, Buffer.from(V11_SIGNATURE, "base64"))).toBe(
      true,
    );
  });
});

describe("v3 verification", () => {
  const v10Headers = {
    "wechatpay-timestamp": V10.timestamp,
    "wechatpay-nonce": V10.nonce,
    "wechatpay-serial": V10.serial,
    "wechatpay-signature": V10.signature,
  };
  const at = (ts: string, offset = 0) => new Date((Number(ts) + offset) * 1000);
  const certVerifier = new PlatformCertificateVerifier([{ pem: GO_PLATFORM_CERT }]);

  it("V10: a full notify verifies with the platform certificate and decrypts", () => {
    expect(() =>
      verifyWechatSignature(certVerifier, v10Headers, Buffer.from(V10.body), at(V10.timestamp)),
    ).not.toThrow();
    const r = JSON.parse(V10.body).resource;
    const plain = aeadDecrypt({
      key: V10.apiV3Key,
      nonce: r.nonce,
      associatedData: r.associated_data,
      ciphertext: r.ciphertext,
    });
    expect(JSON.parse(plain)).toEqual({
      mchid: "1234567890",
      appid: "054aa7d7a2a54ab5898df65bd96f001c",
      create_time: "2020-06-30T12:12:00+08:00",
      out_contract_code: "21640bdbd08e473e828f3206a2741c6e",
    });
  });
  it("V15: a response verifies with the WeChat Pay public key", () => {
    const v = new PublicKeyVerifier(V15.serial, P1_PUBLIC_KEY);
    const headers = {
      "wechatpay-timestamp": V15.timestamp,
      "wechatpay-nonce": V15.nonce,
      "wechatpay-serial": V15.serial,
      "wechatpay-signature": V15.signature,
    };
    expect(() => verifyWechatSignature(v, headers, V15.body, at(V15.timestamp))).not.toThrow();
    expect(() =>
      verifyWechatSignature(new CombinedVerifier([certVerifier, v]), headers, V15.body, at(V15.timestamp)),
    ).not.toThrow();
  });

  const reason = (f: () => void) => {
    try {
      f();
    } catch (e) {
      return e instanceof NotifyRejectedError ? e.reason : "other";
    }
    return "accepted";
  };
  it("rejects a changed body, an unknown serial, a probe, and a timestamp ≥ 300 s off; accepts 299 s", () => {
    const body = Buffer.from(V10.body);
    const now = at(V10.timestamp);
    expect(
      reason(() =>
        verifyWechatSignature(certVerifier, v10Headers, Buffer.from(V10.body.replace("签约", "解约")), now),
      ),
    ).toBe("bad_signature");
    expect(
      reason(() =>
        verifyWechatSignature(certVerifier, { ...v10Headers, "wechatpay-serial": "ABCDEF" }, body, now),
      ),
    ).toBe("unknown_serial");
    expect(
      reason(() =>
        verifyWechatSignature(
          certVerifier,
          { ...v10Headers, "wechatpay-signature": "WECHATPAY/SIGNTEST/abc" },
          body,
          now,
        ),
      ),
    ).toBe("probe");
    expect(reason(() => verifyWechatSignature(certVerifier, v10Headers, body, at(V10.timestamp, 300)))).toBe(
      "timestamp_skew",
    );
    expect(reason(() => verifyWechatSignature(certVerifier, v10Headers, body, at(V10.timestamp, -301)))).toBe(
      "timestamp_skew",
    );
    expect(reason(() => verifyWechatSignature(certVerifier, v10Headers, body, at(V10.timestamp, 299)))).toBe(
      "accepted",
    );
    expect(reason(() => verifyWechatSignature(certVerifier, { "wechatpay-nonce": "x" }, body, now))).toBe(
      "malformed",
    );
  });
});

describe("AEAD_AES_256_GCM vectors", () => {
  it("V6", () => {
    expect(
      aeadDecrypt({
        key: "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb",
        nonce: "uluk4a9R25RW",
        associatedData: "associatedData",
        ciphertext: "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=",
      }),
    ).toBe("message");
  });
  it("V7 (16-byte IV)", () => {
    const base = { key: "0123456789abcdef0123456789abcdef", nonce: "0123456789abcdef" };
    expect(aeadDecrypt({ ...base, associatedData: "", ciphertext: "GvpmmdtYwexXIPhySs9Tlg==" })).toBe("");
    expect(
      aeadDecrypt({ ...base, associatedData: "world", ciphertext: "APoZlYpivU3HjbAiB4CvW1rAFr8J" }),
    ).toBe("hello");
  });
  it("V8 (AES-128 key)", () => {
    expect(
      aeadDecrypt({
        key: "testAPIv3Key0000",
        nonce: "wCq51qZv4Yfg",
        associatedData: "Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8",
        ciphertext: "FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROC",
      }),
    ).toBe("Hello World");
  });
  it("fails closed on a wrong AAD", () => {
    expect(() =>
      aeadDecrypt({
        key: "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb",
        nonce: "uluk4a9R25RW",
        associatedData: "other",
        ciphertext: "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=",
      }),
    ).toThrow();
  });
});
