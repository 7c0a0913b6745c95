/**
 * The sandbox's own APIv2 crypto and XML (independent of backend/: this is the oracle the backend is
 * tested against). Sign = upper hex of MD5 or HMAC-SHA256 over the sorted non-empty fields plus
 * `&key=` (docs/wechatpay-spec.md §2.2).
 */
import crypto from "node:crypto";
import { parseStringPromise } from "xml2js";

export type SignType = "MD5" | "HMAC-SHA256";

export function signV2(fields: Record<string, unknown>, key: string, type: SignType): string {
  const base =
    Object.entries(fields)
      .filter(([k, v]) => k !== "sign" && v !== undefined && v !== null && String(v) !== "")
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join("&") + `&key=${key}`;
  const digest =
    type === "HMAC-SHA256"
      ? crypto.createHmac("sha256", key).update(base)
      : crypto.createHash("md5").update(base);
  return digest.digest("hex").toUpperCase();
}

export function checkSignV2(fields: Record<string, string>, key: string, type: SignType): boolean {
  const expected = Buffer.from(signV2(fields, key, type));
  const got = Buffer.from(String(fields.sign ?? "").toUpperCase());
  return got.length === expected.length && crypto.timingSafeEqual(got, expected);
}

export function toXml(fields: Record<string, unknown>): string {
  const body = Object.entries(fields)
    .filter(([, v]) => v !== undefined && v !== null && String(v) !== "")
    .map(([k, v]) =>
      typeof v === "number"
        ? `<${k}>${v}</${k}>`
        : `<${k}><![CDATA[${String(v).split("]]>").join("]]]]><![CDATA[>")}]]></${k}>`,
    )
    .join("");
  return `<xml>${body}</xml>`;
}

export class BadXml extends Error {}

export async function fromXml(text: string): Promise<Record<string, string>> {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new BadXml("DOCTYPE not allowed");
  let obj: any;
  try {
    obj = await parseStringPromise(text, { explicitArray: false, explicitRoot: false, trim: true });
  } catch {
    throw new BadXml("malformed XML");
  }
  if (!obj || typeof obj !== "object") throw new BadXml("empty XML");
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === "__proto__" || k === "constructor") throw new BadXml("bad field");
    out[k] = typeof v === "string" ? v : "";
  }
  return out;
}

/** Refund notify req_info: AES-256-ECB under lower-hex md5(v2 key) (docs/wechatpay-spec.md §2.9). */
export function encryptReqInfo(plainXml: string, v2Key: string): string {
  const key = Buffer.from(crypto.createHash("md5").update(v2Key).digest("hex"), "utf8");
  const c = crypto.createCipheriv("aes-256-ecb", key, null);
  return Buffer.concat([c.update(plainXml, "utf8"), c.final()]).toString("base64");
}

export function decryptEcb(b64: string, key: Buffer): string {
  const d = crypto.createDecipheriv("aes-256-ecb", key, null);
  return Buffer.concat([d.update(Buffer.from(b64, "base64")), d.final()]).toString("utf8");
}

/** wx.requestPayment paySign for v2 (docs/wechatpay-spec.md §2.10), so tests can check what a backend hands out. */
export function paySignV2(
  appId: string,
  timeStamp: string,
  nonceStr: string,
  pkg: string,
  type: SignType,
  key: string,
) {
  return signV2({ appId, timeStamp, nonceStr, package: pkg, signType: type }, key, type);
}
