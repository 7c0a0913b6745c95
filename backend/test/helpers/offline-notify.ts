/**
 * WeChat's side of a notify test with no sandbox process: one v3 (public-key mode) and one v2
 * (HMAC-SHA256) merchant whose keys the test owns, and genuine notifies signed with the sandbox's
 * own crypto (never the backend's, so one cannot hide the other's mistakes). Each test file passes
 * its own ids so files never share a merchant.
 */
import crypto from "node:crypto";
import { signV2, toXml } from "../../../sandbox/src/crypto/v2";
import { gcmEncrypt, responseSigningMessage, rsaSignB64 } from "../../../sandbox/src/crypto/v3";
import { merchantIdFor } from "../../src/merchants/secrets";
import type { MerchantSeed } from "../../src/merchants/sources";

export interface OfflineIds {
  /** Names the merchants (`v3-${tag}`, `v2-${tag}`) and the payer (`o-${tag}`). */
  tag: string;
  v3: { appid: string; mchid: string };
  v2: { appid: string; mchid: string };
  publicKeyId: string;
  apiV3Key: string;
  apiV2Key: string;
}

export interface OfflineWechat {
  v3: MerchantSeed;
  v2: MerchantSeed;
  v3Id: string;
  v2Id: string;
  /** A paid v3 transaction of 100 fen for the v3 merchant, as WeChat decrypts it; `over` replaces fields. */
  transaction(
    outTradeNo: string,
    transactionId: string,
    over?: Record<string, unknown>,
  ): Record<string, unknown>;
  /** A v2 SUCCESS notify of 100 fen for the v2 merchant, unsigned; `over` replaces fields. */
  v2Fields(outTradeNo: string, transactionId: string, over?: Record<string, string>): Record<string, string>;
  /** A v3 TRANSACTION.SUCCESS body around `plain` (the decrypted transaction). */
  v3Body(plain: Record<string, unknown>): string;
  /** POST a v3 body to `base`'s pay URL, signed as WeChat signs; `tamper` may change the headers. */
  postV3(base: string, body: string, tamper?: (h: Record<string, string>) => void): Promise<Response>;
  /** POST v2 XML of `fields`, signed with HMAC-SHA256, to `base`'s pay URL. */
  postV2(base: string, fields: Record<string, string>): Promise<Response>;
}

export function offlineWechat(ids: OfflineIds): OfflineWechat {
  const wechat = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  const wechatKey = wechat.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  const v3: MerchantSeed = {
    name: `v3-${ids.tag}`,
    source: "file",
    credentials: {
      apiVersion: "v3",
      appid: ids.v3.appid,
      mchid: ids.v3.mchid,
      baseUrl: "http://127.0.0.1:9",
      v3: {
        apiV3Key: ids.apiV3Key,
        privateKeyPem: wechatKey, // our request signatures are never checked here
        certificateSerial: "ABC123",
        keyMode: "public_key",
        publicKeyId: ids.publicKeyId,
        publicKeyPem: wechat.publicKey.export({ type: "spki", format: "pem" }) as string,
      },
    },
    appsecret: "unused",
    loginBaseUrl: "http://127.0.0.1:9",
    sandboxUrl: null,
    demoProducts: true,
  };
  const v2: MerchantSeed = {
    ...v3,
    name: `v2-${ids.tag}`,
    credentials: {
      apiVersion: "v2",
      appid: ids.v2.appid,
      mchid: ids.v2.mchid,
      baseUrl: "http://127.0.0.1:9",
      v2: { key: ids.apiV2Key, signType: "HMAC-SHA256" },
    },
  };
  const v3Id = merchantIdFor(ids.v3.mchid);
  const v2Id = merchantIdFor(ids.v2.mchid);
  return {
    v3,
    v2,
    v3Id,
    v2Id,
    transaction: (outTradeNo, transactionId, over = {}) => ({
      appid: ids.v3.appid,
      mchid: ids.v3.mchid,
      out_trade_no: outTradeNo,
      transaction_id: transactionId,
      trade_type: "JSAPI",
      trade_state: "SUCCESS",
      trade_state_desc: "支付成功",
      success_time: "2026-11-25T10:00:00+08:00",
      payer: { openid: `o-${ids.tag}` },
      amount: { total: 100, currency: "CNY", payer_total: 100, payer_currency: "CNY" },
      ...over,
    }),
    v2Fields: (outTradeNo, transactionId, over = {}) => ({
      return_code: "SUCCESS",
      appid: ids.v2.appid,
      mch_id: ids.v2.mchid,
      nonce_str: crypto.randomBytes(8).toString("hex"),
      result_code: "SUCCESS",
      openid: `o-${ids.tag}`,
      trade_type: "JSAPI",
      total_fee: "100",
      fee_type: "CNY",
      transaction_id: transactionId,
      out_trade_no: outTradeNo,
      time_end: "20261125100000",
      sign_type: "HMAC-SHA256",
      ...over,
    }),
    v3Body(plain) {
      const nonce = crypto.randomBytes(6).toString("hex");
      return JSON.stringify({
        id: crypto.randomUUID(),
        create_time: "2026-11-25T10:00:05+08:00",
        resource_type: "encrypt-resource",
        event_type: "TRANSACTION.SUCCESS",
        resource: {
          original_type: "transaction",
          algorithm: "AEAD_AES_256_GCM",
          ciphertext: gcmEncrypt(ids.apiV3Key, nonce, "transaction", JSON.stringify(plain)),
          associated_data: "transaction",
          nonce,
        },
      });
    },
    postV3(base, body, tamper) {
      const ts = String(Math.floor(Date.now() / 1000));
      const n = crypto.randomBytes(16).toString("hex");
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "wechatpay-timestamp": ts,
        "wechatpay-nonce": n,
        "wechatpay-serial": ids.publicKeyId,
        "wechatpay-signature": rsaSignB64(responseSigningMessage(ts, n, body), wechatKey),
        "wechatpay-signature-type": "WECHATPAY2-SHA256-RSA2048",
      };
      tamper?.(headers);
      return fetch(`${base}/notify/wechat/${v3Id}/v3/pay`, { method: "POST", headers, body });
    },
    postV2(base, fields) {
      return fetch(`${base}/notify/wechat/${v2Id}/v2/pay`, {
        method: "POST",
        headers: { "content-type": "text/xml" },
        body: toXml({ ...fields, sign: signV2(fields, ids.apiV2Key, "HMAC-SHA256") }),
      });
    },
  };
}
