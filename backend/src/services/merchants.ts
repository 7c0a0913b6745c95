/**
 * Merchant credentials: loaded from the sandbox (local start, no manual step), from environment
 * variables or from a JSON file (real merchants), then sealed with the master key into the
 * `merchants` table. The running process uses the decrypted copy in memory only.
 */
import { X509Certificate } from "node:crypto";
import fs from "node:fs";
import axios from "axios";
import { z } from "zod";
import type { Config } from "../config";
import type { SecretBox } from "../security/secret-box";
import type { MerchantCredentials } from "../wechat/types";
import type { ServiceDeps } from "./deps";

export interface MerchantRecord {
  id: string;
  credentials: MerchantCredentials;
  appsecret: string;
  /** Base URL of the mini-program login API (api.weixin.qq.com or the sandbox). */
  loginBaseUrl: string;
  /** Sandbox base URL when the merchant is a sandbox one (the client uses it for login codes and the cashier). */
  sandboxUrl: string | null;
}

const SandboxMerchant = z.object({
  name: z.string(),
  apiVersion: z.enum(["v2", "v3"]),
  appid: z.string(),
  appsecret: z.string(),
  mchid: z.string(),
  signType: z.enum(["MD5", "HMAC-SHA256"]).nullable().optional(),
  apiV2Key: z.string().nullable().optional(),
  apiV3Key: z.string().nullable().optional(),
  merchantPrivateKeyPem: z.string().nullable().optional(),
  merchantCertificateSerial: z.string().nullable().optional(),
  clientCertPem: z.string().nullable().optional(),
  clientKeyPem: z.string().nullable().optional(),
  keyMode: z.enum(["platform_certificate", "public_key"]).nullable().optional(),
  platformCertificatePem: z.string().nullable().optional(),
  platformCertificateSerial: z.string().nullable().optional(),
  wechatpayPublicKeyPem: z.string().nullable().optional(),
  wechatpayPublicKeyId: z.string().nullable().optional(),
});
const SandboxMerchants = z.object({
  baseUrl: z.string(),
  tlsBaseUrl: z.string().optional(),
  caCertificatePem: z.string().optional(),
  merchants: z.array(SandboxMerchant),
});

/** Map one merchant of the sandbox's /__sandbox/merchants to what the gateway needs. */
export function sandboxMerchantToRecord(
  doc: z.infer<typeof SandboxMerchants>,
  name: string,
  sandboxUrl: string,
): MerchantRecord {
  const m = doc.merchants.find((x) => x.name === name);
  if (!m)
    throw new Error(
      `the sandbox has no merchant named ${name} (has: ${doc.merchants.map((x) => x.name).join(", ")})`,
    );
  const credentials: MerchantCredentials = {
    apiVersion: m.apiVersion,
    appid: m.appid,
    mchid: m.mchid,
    baseUrl: doc.baseUrl,
    tlsBaseUrl: doc.tlsBaseUrl,
  };
  if (m.apiVersion === "v2") {
    credentials.v2 = {
      key: m.apiV2Key!,
      signType: m.signType ?? "MD5",
      clientCertPem: m.clientCertPem ?? undefined,
      clientKeyPem: m.clientKeyPem ?? undefined,
      caPem: doc.caCertificatePem,
    };
  } else {
    credentials.v3 = {
      apiV3Key: m.apiV3Key!,
      privateKeyPem: m.merchantPrivateKeyPem!,
      certificateSerial: m.merchantCertificateSerial!,
      keyMode: m.keyMode ?? "public_key",
      platformCertificates:
        m.platformCertificatePem && m.platformCertificateSerial
          ? [{ serial: m.platformCertificateSerial, pem: m.platformCertificatePem }]
          : [],
      publicKeyId: m.wechatpayPublicKeyId ?? undefined,
      publicKeyPem: m.wechatpayPublicKeyPem ?? undefined,
    };
  }
  return { id: "default", credentials, appsecret: m.appsecret, loginBaseUrl: doc.baseUrl, sandboxUrl };
}

export async function fetchSandboxMerchant(
  sandboxUrl: string,
  name: string,
  waitMs = 20_000,
): Promise<MerchantRecord> {
  const deadline = Date.now() + waitMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const res = await axios.get(`${sandboxUrl.replace(/\/$/, "")}/__sandbox/merchants`, { timeout: 3000 });
      return sandboxMerchantToRecord(SandboxMerchants.parse(res.data), name, sandboxUrl.replace(/\/$/, ""));
    } catch (err) {
      lastErr = err;
      if (err instanceof z.ZodError) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(
    `could not load merchant ${name} from the sandbox at ${sandboxUrl}: ${(lastErr as Error)?.message ?? lastErr}`,
  );
}

const read = (file: string | undefined, variable: string): string => {
  if (!file) throw new Error(`${variable} is required`);
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    throw new Error(`${variable}: cannot read ${file}`);
  }
};

/** A real merchant from WECHAT_* variables (files for keys and certificates). */
export function merchantFromEnv(c: Config): MerchantRecord {
  const credentials: MerchantCredentials = {
    apiVersion: c.WECHAT_API_VERSION!,
    appid: c.WECHAT_APPID!,
    mchid: c.WECHAT_MCHID!,
    baseUrl: c.WECHAT_PAY_BASE_URL,
  };
  if (credentials.apiVersion === "v2") {
    credentials.v2 = {
      key: c.WECHAT_API_V2_KEY!,
      signType: c.WECHAT_SIGN_TYPE ?? "MD5",
      clientCertPem: c.WECHAT_CLIENT_CERT_FILE
        ? read(c.WECHAT_CLIENT_CERT_FILE, "WECHAT_CLIENT_CERT_FILE")
        : undefined,
      clientKeyPem: c.WECHAT_CLIENT_KEY_FILE
        ? read(c.WECHAT_CLIENT_KEY_FILE, "WECHAT_CLIENT_KEY_FILE")
        : undefined,
    };
  } else {
    const keyMode = c.WECHAT_KEY_MODE ?? "public_key";
    credentials.v3 = {
      apiV3Key: c.WECHAT_API_V3_KEY!,
      privateKeyPem: read(c.WECHAT_PRIVATE_KEY_FILE, "WECHAT_PRIVATE_KEY_FILE"),
      certificateSerial: c.WECHAT_CERT_SERIAL!,
      keyMode,
      platformCertificates: [],
      publicKeyId: c.WECHAT_PUBLIC_KEY_ID,
      publicKeyPem: c.WECHAT_PUBLIC_KEY_FILE
        ? read(c.WECHAT_PUBLIC_KEY_FILE, "WECHAT_PUBLIC_KEY_FILE")
        : undefined,
    };
    if (c.WECHAT_PLATFORM_CERT_FILE) {
      const pem = read(c.WECHAT_PLATFORM_CERT_FILE, "WECHAT_PLATFORM_CERT_FILE");
      credentials.v3.platformCertificates = [
        { serial: new X509Certificate(pem).serialNumber.toUpperCase(), pem },
      ];
    }
    if (keyMode === "public_key" && (!credentials.v3.publicKeyId || !credentials.v3.publicKeyPem))
      throw new Error(
        "WECHAT_PUBLIC_KEY_ID and WECHAT_PUBLIC_KEY_FILE are required for WECHAT_KEY_MODE=public_key",
      );
  }
  return {
    id: "default",
    credentials,
    appsecret: c.WECHAT_APPSECRET!,
    loginBaseUrl: c.WECHAT_API_BASE_URL,
    sandboxUrl: null,
  };
}

/** A merchant from MERCHANT_FILE: `{ "appsecret", "loginBaseUrl"?, "credentials": MerchantCredentials }`. */
export function merchantFromFile(file: string, c: Config): MerchantRecord {
  const doc = JSON.parse(read(file, "MERCHANT_FILE"));
  if (!doc?.credentials?.appid || !doc?.appsecret)
    throw new Error("MERCHANT_FILE must have credentials.appid and appsecret");
  return {
    id: "default",
    credentials: { baseUrl: c.WECHAT_PAY_BASE_URL, ...doc.credentials },
    appsecret: doc.appsecret,
    loginBaseUrl: doc.loginBaseUrl ?? c.WECHAT_API_BASE_URL,
    sandboxUrl: null,
  };
}

export class MerchantStore {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly box: SecretBox,
  ) {}

  async save(m: MerchantRecord): Promise<void> {
    const sealed = this.box.seal(JSON.stringify(m));
    await this.deps.ds.query(
      `INSERT INTO merchants (id, api_version, appid, mchid, credentials_sealed) VALUES ($1,$2,$3,$4,$5)
       ON CONFLICT (id) DO UPDATE SET api_version = EXCLUDED.api_version, appid = EXCLUDED.appid, mchid = EXCLUDED.mchid,
         credentials_sealed = EXCLUDED.credentials_sealed, updated_at = now()`,
      [m.id, m.credentials.apiVersion, m.credentials.appid, m.credentials.mchid, sealed],
    );
  }

  async load(id: string): Promise<MerchantRecord | null> {
    const rows = await this.deps.ds.query(`SELECT credentials_sealed FROM merchants WHERE id = $1`, [id]);
    return rows[0] ? (JSON.parse(this.box.open(rows[0].credentials_sealed)) as MerchantRecord) : null;
  }
}
