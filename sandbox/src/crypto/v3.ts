/**
 * The sandbox's own APIv3 crypto: verifying the merchant's Authorization header, signing
 * responses and notifies (SHA256withRSA over `ts\nnonce\nbody\n`), AEAD_AES_256_GCM resources.
 */
import crypto from "node:crypto";

export interface AuthHeader {
  mchid: string;
  nonce: string;
  timestamp: string;
  serial: string;
  signature: string;
}

export function parseAuthorization(value: string | undefined): AuthHeader | null {
  if (!value) return null;
  const m = /^WECHATPAY2-SHA256-RSA2048\s+(.*)$/.exec(value.trim());
  if (!m) return null;
  const kv: Record<string, string> = {};
  for (const part of m[1]!.matchAll(/(\w+)="([^"]*)"/g)) kv[part[1]!] = part[2]!;
  if (!kv.mchid || !kv.nonce_str || !kv.timestamp || !kv.serial_no || !kv.signature) return null;
  return {
    mchid: kv.mchid,
    nonce: kv.nonce_str,
    timestamp: kv.timestamp,
    serial: kv.serial_no,
    signature: kv.signature,
  };
}

export function requestSigningMessage(
  method: string,
  url: string,
  ts: string,
  nonce: string,
  body: string,
): string {
  return `${method}\n${url}\n${ts}\n${nonce}\n${body}\n`;
}

export function rsaSignB64(message: string | Buffer, privateKeyPem: string): string {
  return crypto
    .sign("RSA-SHA256", Buffer.isBuffer(message) ? message : Buffer.from(message), privateKeyPem)
    .toString("base64");
}

export function rsaVerifyB64(
  message: string | Buffer,
  signature: string,
  publicKeyOrCertPem: string,
): boolean {
  try {
    const key = publicKeyOrCertPem.includes("CERTIFICATE")
      ? new crypto.X509Certificate(publicKeyOrCertPem).publicKey
      : crypto.createPublicKey(publicKeyOrCertPem);
    return crypto.verify(
      "RSA-SHA256",
      Buffer.isBuffer(message) ? message : Buffer.from(message),
      key,
      Buffer.from(signature, "base64"),
    );
  } catch {
    return false;
  }
}

export function responseSigningMessage(ts: string, nonce: string, body: string): string {
  return `${ts}\n${nonce}\n${body}\n`;
}

export function gcmEncrypt(apiV3Key: string, nonce: string, aad: string, plaintext: string): string {
  const c = crypto.createCipheriv("aes-256-gcm", Buffer.from(apiV3Key, "utf8"), Buffer.from(nonce, "utf8"));
  c.setAAD(Buffer.from(aad, "utf8"));
  const ct = Buffer.concat([c.update(plaintext, "utf8"), c.final(), c.getAuthTag()]);
  return ct.toString("base64");
}

export function gcmDecrypt(key: string | Buffer, nonce: string, aad: string, ciphertextB64: string): string {
  const k = Buffer.isBuffer(key) ? key : Buffer.from(key, "utf8");
  const data = Buffer.from(ciphertextB64, "base64");
  const algo = k.length === 16 ? "aes-128-gcm" : "aes-256-gcm";
  const d = crypto.createDecipheriv(algo, k, Buffer.from(nonce, "utf8"));
  d.setAAD(Buffer.from(aad, "utf8"));
  d.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]).toString("utf8");
}

/** v3 mini-program paySign (docs/wechatpay-spec.md §3.9). */
export function paySignV3(
  appId: string,
  timeStamp: string,
  nonceStr: string,
  pkg: string,
  privateKeyPem: string,
) {
  return rsaSignB64(`${appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`, privateKeyPem);
}
