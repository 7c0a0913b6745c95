/** AEAD_AES_256_GCM as WeChat uses it for notify resources and certificates: key = APIv3 key bytes, tag = last 16 bytes. */
import crypto from "node:crypto";

export function aeadDecrypt(p: {
  key: string;
  nonce: string;
  associatedData: string;
  ciphertext: string;
}): string {
  const key = Buffer.from(p.key, "utf8");
  const data = Buffer.from(p.ciphertext, "base64");
  if (data.length < 16) throw new Error("ciphertext too short");
  const algo = key.length === 16 ? "aes-128-gcm" : key.length === 24 ? "aes-192-gcm" : "aes-256-gcm";
  const d = crypto.createDecipheriv(algo, key, Buffer.from(p.nonce, "utf8"));
  d.setAAD(Buffer.from(p.associatedData ?? "", "utf8"));
  d.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]).toString("utf8");
}
