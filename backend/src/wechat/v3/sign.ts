/**
 * APIv3 merchant-side signing: request message, Authorization header and the
 * mini-program paySign, all SHA256withRSA with the merchant API private key. Pure functions.
 */
import crypto from "node:crypto";

export function requestMessage(
  method: string,
  canonicalUrl: string,
  timestamp: string,
  nonce: string,
  body: string,
): string {
  return `${method}\n${canonicalUrl}\n${timestamp}\n${nonce}\n${body}\n`;
}

export function rsaSign(message: string, privateKeyPem: string): string {
  return crypto.sign("sha256", Buffer.from(message, "utf8"), privateKeyPem).toString("base64");
}

export function authorizationHeader(p: {
  mchid: string;
  serialNo: string;
  privateKeyPem: string;
  method: string;
  canonicalUrl: string;
  body: string;
  timestamp: string;
  nonce: string;
}): string {
  const signature = rsaSign(
    requestMessage(p.method, p.canonicalUrl, p.timestamp, p.nonce, p.body),
    p.privateKeyPem,
  );
  return (
    `WECHATPAY2-SHA256-RSA2048 mchid="${p.mchid}",nonce_str="${p.nonce}",timestamp="${p.timestamp}",` +
    `serial_no="${p.serialNo}",signature="${signature}"`
  );
}

/** wx.requestPayment paySign for v3: appId, timeStamp, nonceStr, package, each line \n-terminated. */
export function v3PaySign(
  appId: string,
  timeStamp: string,
  nonceStr: string,
  pkg: string,
  privateKeyPem: string,
): string {
  return rsaSign(`${appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`, privateKeyPem);
}
