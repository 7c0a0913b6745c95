/**
 * Key material of the sandbox: a CA, WeChat's platform key (served as a platform certificate and
 * as a "WeChat Pay public key"), one merchant API key, and per-merchant certificates and secrets.
 * With a seed everything is derived deterministically (forge's RSA with a seeded PRNG; cached per
 * seed in the OS temp dir because pure-JS keygen is slow); without one, Node generates fresh keys.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import forge from "node-forge";

export const MERCHANT_NAMES = ["v2-md5", "v2-hmac", "v3-platform-cert", "v3-public-key"] as const;
export type MerchantName = (typeof MERCHANT_NAMES)[number];

export interface MerchantMaterial {
  name: MerchantName;
  apiVersion: "v2" | "v3";
  appid: string;
  appsecret: string;
  mchid: string;
  signType: "MD5" | "HMAC-SHA256" | null;
  apiV2Key: string;
  apiV3Key: string;
  merchantCertificatePem: string;
  merchantCertificateSerial: string;
  keyMode: "platform_certificate" | "public_key" | null;
}

export interface KeyMaterial {
  version: 1;
  caKeyPem: string;
  caCertPem: string;
  wechatKeyPem: string;
  platformCertPem: string;
  platformCertSerial: string;
  wechatPublicKeyPem: string;
  wechatPublicKeyId: string;
  tlsCertPem: string;
  merchantKeyPem: string;
  merchants: MerchantMaterial[];
}

/** Deterministic byte stream from a seed (SHA-256 in counter mode) for forge's PRNG interface. */
function seededPrng(seed: string) {
  let counter = 0;
  let pool = Buffer.alloc(0);
  return {
    getBytesSync(n: number): string {
      while (pool.length < n) {
        const block = crypto.createHash("sha256").update(`${seed}:${counter++}`).digest();
        pool = Buffer.concat([pool, block]);
      }
      const out = pool.subarray(0, n);
      pool = pool.subarray(n);
      return out.toString("binary");
    },
  };
}

function rsaKeyPem(seed: string | null, label: string): string {
  if (!seed) {
    return crypto
      .generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  }
  const kp = forge.pki.rsa.generateKeyPair({
    bits: 2048,
    e: 0x10001,
    prng: seededPrng(`${seed}:${label}`),
    algorithm: "PRIMEINC",
  } as any);
  const pkcs8 = forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(kp.privateKey));
  return forge.pki.privateKeyInfoToPem(pkcs8);
}

function derive(seed: string, label: string, n: number, alphabet: string): string {
  const bytes = crypto.createHmac("sha256", seed).update(label).digest();
  const more = crypto
    .createHmac("sha256", seed)
    .update(label + ":2")
    .digest();
  const all = Buffer.concat([bytes, more]);
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[all[i]! % alphabet.length];
  return s;
}
const HEX = "0123456789ABCDEF";
/** A certificate serial that DER keeps positive (first nibble below 8), 40 hex digits like WeChat's. */
function serialHex(seed: string, label: string): string {
  const s = derive(seed, label, 40, HEX);
  return "1234567"[parseInt(s[0]!, 16) % 7]! + s.slice(1);
}
const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";

function makeCert(opts: {
  subjectCN: string;
  serialHex: string;
  publicKeyPem: string;
  issuerCert?: forge.pki.Certificate;
  issuerKeyPem: string;
  isCA?: boolean;
  altNames?: { type: number; value?: string; ip?: string }[];
}): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(opts.publicKeyPem);
  cert.serialNumber = opts.serialHex;
  cert.validity.notBefore = new Date("2025-01-01T00:00:00Z");
  cert.validity.notAfter = new Date("2035-01-01T00:00:00Z");
  const subject = [
    { name: "commonName", value: opts.subjectCN },
    { name: "organizationName", value: "Minipay Sandbox" },
    { name: "countryName", value: "CN" },
  ];
  cert.setSubject(subject);
  cert.setIssuer(opts.issuerCert ? opts.issuerCert.subject.attributes : subject);
  const ext: any[] = [{ name: "basicConstraints", cA: !!opts.isCA }];
  if (opts.altNames) ext.push({ name: "subjectAltName", altNames: opts.altNames });
  cert.setExtensions(ext);
  cert.sign(forge.pki.privateKeyFromPem(opts.issuerKeyPem), forge.md.sha256.create());
  return cert;
}

function publicPemOf(privatePem: string): string {
  return crypto.createPublicKey(privatePem).export({ type: "spki", format: "pem" }) as string;
}

export function generateKeyMaterial(seed: string | null): KeyMaterial {
  const s = seed ?? crypto.randomBytes(16).toString("hex");
  const caKeyPem = rsaKeyPem(seed, "ca");
  const wechatKeyPem = rsaKeyPem(seed, "wechat");
  const merchantKeyPem = rsaKeyPem(seed, "merchant");
  const caCert = makeCert({
    subjectCN: "Minipay Sandbox CA",
    serialHex: "01",
    publicKeyPem: publicPemOf(caKeyPem),
    issuerKeyPem: caKeyPem,
    isCA: true,
  });
  const platformCertSerial = serialHex(s, "platform-serial");
  const platformCert = makeCert({
    subjectCN: "Tenpay.com sign (sandbox)",
    serialHex: platformCertSerial,
    publicKeyPem: publicPemOf(wechatKeyPem),
    issuerCert: caCert,
    issuerKeyPem: caKeyPem,
  });
  const tlsCert = makeCert({
    subjectCN: "localhost",
    serialHex: "02",
    publicKeyPem: publicPemOf(wechatKeyPem),
    issuerCert: caCert,
    issuerKeyPem: caKeyPem,
    altNames: [
      { type: 2, value: "localhost" },
      { type: 7, ip: "127.0.0.1" },
    ],
  });
  const merchants: MerchantMaterial[] = MERCHANT_NAMES.map((name, i) => {
    const mchid = `19000000${i + 1}${derive(s, `${name}:mchid`, 1, DIGITS)}`;
    const serial = serialHex(s, `${name}:serial`);
    const cert = makeCert({
      subjectCN: mchid,
      serialHex: serial,
      publicKeyPem: publicPemOf(merchantKeyPem),
      issuerCert: caCert,
      issuerKeyPem: caKeyPem,
    });
    const v2 = name.startsWith("v2");
    return {
      name,
      apiVersion: v2 ? "v2" : "v3",
      appid: `wx${derive(s, `${name}:appid`, 16, "0123456789abcdef")}`,
      appsecret: derive(s, `${name}:appsecret`, 32, "0123456789abcdef"),
      mchid,
      signType: name === "v2-md5" ? "MD5" : name === "v2-hmac" ? "HMAC-SHA256" : null,
      apiV2Key: derive(s, `${name}:v2key`, 32, ALNUM),
      apiV3Key: derive(s, `${name}:v3key`, 32, ALNUM),
      merchantCertificatePem: forge.pki.certificateToPem(cert),
      merchantCertificateSerial: serial,
      keyMode:
        name === "v3-platform-cert" ? "platform_certificate" : name === "v3-public-key" ? "public_key" : null,
    };
  });
  return {
    version: 1,
    caKeyPem,
    caCertPem: forge.pki.certificateToPem(caCert),
    wechatKeyPem,
    platformCertPem: forge.pki.certificateToPem(platformCert),
    platformCertSerial,
    wechatPublicKeyPem: publicPemOf(wechatKeyPem),
    wechatPublicKeyId: `PUB_KEY_ID_${derive(s, "pubkey-id", 34, DIGITS)}`,
    tlsCertPem: forge.pki.certificateToPem(tlsCert),
    merchantKeyPem,
    merchants,
  };
}

/**
 * Keys for a data dir: read them if present, else make them (from the seed cache when seeded) and
 * keep them (0600). The same seed always gives the same keys.
 */
export function loadKeyMaterial(dataDir: string, seed: string | null): KeyMaterial {
  const file = path.join(dataDir, "keys.json");
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8"));
  let km: KeyMaterial | null = null;
  const cache = seed
    ? path.join(
        os.tmpdir(),
        `minipay-sandbox-keys-v2-${crypto.createHash("sha256").update(seed).digest("hex").slice(0, 16)}.json`,
      )
    : null;
  if (cache && fs.existsSync(cache)) km = JSON.parse(fs.readFileSync(cache, "utf8"));
  if (!km) {
    km = generateKeyMaterial(seed);
    if (cache) {
      const tmp = `${cache}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(km), { mode: 0o600 });
      fs.renameSync(tmp, cache); // atomic: parallel test workers make identical files
    }
  }
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(km, null, 2), { mode: 0o600 });
  return km;
}
