/**
 * What is sealed in `merchants.credentials_sealed`: everything needed to talk to WeChat as this
 * merchant. Checked with zod when opened, so a damaged or old blob fails loudly at start, not on a
 * shopper's payment.
 */
import { z } from "zod";
import type { SecretBox } from "../security/secret-box";
import type { MerchantCredentials } from "../wechat/types";

const Credentials = z.object({
  apiVersion: z.enum(["v2", "v3"]),
  appid: z.string().min(1),
  mchid: z.string().min(1),
  baseUrl: z.string().min(1),
  tlsBaseUrl: z.string().optional(),
  v2: z
    .object({
      key: z.string().min(1),
      signType: z.enum(["MD5", "HMAC-SHA256"]),
      clientCertPem: z.string().optional(),
      clientKeyPem: z.string().optional(),
      caPem: z.string().optional(),
    })
    .passthrough()
    .optional(),
  v3: z
    .object({
      apiV3Key: z.string().min(1),
      privateKeyPem: z.string().min(1),
      certificateSerial: z.string().min(1),
      certificatePem: z.string().optional(),
      keyMode: z.enum(["platform_certificate", "public_key"]),
      platformCertificates: z.array(z.object({ serial: z.string(), pem: z.string() })).optional(),
      publicKeyId: z.string().optional(),
      publicKeyPem: z.string().optional(),
    })
    .passthrough()
    .optional(),
});

export const MerchantSecrets = z.object({
  credentials: Credentials,
  appsecret: z.string().min(1),
  /** Base URL of the mini-program login API (api.weixin.qq.com, or the sandbox). */
  loginBaseUrl: z.string().min(1),
  /** Blobs sealed before many merchants also carried the sandbox URL here. */
  sandboxUrl: z.string().nullable().optional(),
});
export type MerchantSecrets = Omit<z.infer<typeof MerchantSecrets>, "credentials"> & {
  credentials: MerchantCredentials;
};

export function sealSecrets(box: SecretBox, s: MerchantSecrets): string {
  return box.seal(
    JSON.stringify({ credentials: s.credentials, appsecret: s.appsecret, loginBaseUrl: s.loginBaseUrl }),
  );
}

export function openSecrets(box: SecretBox, sealed: string): MerchantSecrets {
  return MerchantSecrets.parse(JSON.parse(box.open(sealed))) as MerchantSecrets;
}

/** The stable id of a merchant: its WeChat Pay account. */
export const merchantIdFor = (mchid: string): string => `mch_${mchid}`;
