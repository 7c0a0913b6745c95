/**
 * v2 refund notifies carry no sign; authenticity comes from req_info being encrypted with
 * AES-256-ECB under md5(APIv2 key) in lower-case hex. Decryption failing = not genuine.
 */
import crypto from "node:crypto";

export function refundNotifyKey(apiV2Key: string): Buffer {
  return Buffer.from(crypto.createHash("md5").update(apiV2Key, "utf8").digest("hex"), "utf8");
}

export function decryptReqInfo(reqInfoB64: string, apiV2Key: string): string {
  const d = crypto.createDecipheriv("aes-256-ecb", refundNotifyKey(apiV2Key), null);
  return Buffer.concat([d.update(Buffer.from(reqInfoB64, "base64")), d.final()]).toString("utf8");
}

export function aesEcbEncrypt(plaintext: string, key: Buffer): string {
  const c = crypto.createCipheriv("aes-256-ecb", key, null);
  return Buffer.concat([c.update(plaintext, "utf8"), c.final()]).toString("base64");
}
