/**
 * APIv2 signatures (pay.weixin.qq.com "签名生成算法"): every non-empty field except `sign`, ASCII-sorted, `k=v` joined by
 * `&`, then `&key=<APIv2 key>`; MD5 or HMAC-SHA256 (the `&key=` suffix is inside the HMAC message
 * too), upper-case hex. Pure functions; the official vectors are in sign.test.ts.
 */
import crypto from "node:crypto";

export type V2SignType = "MD5" | "HMAC-SHA256";

export function v2SignString(params: Record<string, unknown>, key: string): string {
  const parts = Object.keys(params)
    .filter((k) => k !== "sign" && params[k] !== undefined && params[k] !== null && params[k] !== "")
    .sort()
    .map((k) => `${k}=${String(params[k])}`);
  return `${parts.join("&")}&key=${key}`;
}

export function v2Sign(params: Record<string, unknown>, key: string, type: V2SignType): string {
  const s = v2SignString(params, key);
  const h = type === "HMAC-SHA256" ? crypto.createHmac("sha256", key) : crypto.createHash("md5");
  return h.update(s, "utf8").digest("hex").toUpperCase();
}

/** Constant-time comparison of a received sign with the one we compute. */
export function v2Verify(params: Record<string, unknown>, key: string, type: V2SignType): boolean {
  const got = typeof params.sign === "string" ? params.sign.toUpperCase() : "";
  const want = v2Sign(params, key, type);
  const a = Buffer.from(got);
  const b = Buffer.from(want);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** wx.requestPayment's paySign for v2: over appId, nonceStr, package, signType, timeStamp. */
export function v2PaySign(
  p: { appId: string; nonceStr: string; package: string; signType: V2SignType; timeStamp: string },
  key: string,
): string {
  return v2Sign({ ...p }, key, p.signType);
}
