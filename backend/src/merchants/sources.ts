/**
 * Where merchants come from at start: the local sandbox (no manual step), WECHAT_* environment
 * variables (one real merchant) or MERCHANT_FILE (one or a list). Sources only produce seeds;
 * seed.ts writes them, sealed, into the `merchants` table, which is what the registry serves.
 */
import { X509Certificate } from "node:crypto";
import fs from "node:fs";
import axios from "axios";
import { z } from "zod";
import type { Config } from "../config";
import type { MerchantCredentials } from "../wechat/types";
import type { MerchantSecrets } from "./secrets";

export interface MerchantSeed extends MerchantSecrets {
  name: string;
  source: "sandbox" | "env" | "file";
  /** Sandbox base URL when the merchant is a sandbox one (the client uses it for login codes and the cashier). */
  sandboxUrl: string | null;
  /** Only sandbox merchants get the demo catalogue; a real merchant starts with none. */
  demoProducts: boolean;
}

export const SANDBOX_MERCHANT_NAMES = ["v2-md5", "v2-hmac", "v3-platform-cert", "v3-public-key"] as const;
export type SandboxMerchantName = (typeof SANDBOX_MERCHANT_NAMES)[number];

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
  merchantCertificatePem: z.string().nullable().optional(),
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
): MerchantSeed {
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
      certificatePem: m.merchantCertificatePem ?? undefined,
      keyMode: m.keyMode ?? "public_key",
      platformCertificates:
        m.platformCertificatePem && m.platformCertificateSerial
          ? [{ serial: m.platformCertificateSerial, pem: m.platformCertificatePem }]
          : [],
      publicKeyId: m.wechatpayPublicKeyId ?? undefined,
      publicKeyPem: m.wechatpayPublicKeyPem ?? undefined,
    };
  }
  return {
    name,
    source: "sandbox",
    credentials,
    appsecret: m.appsecret,
    loginBaseUrl: doc.baseUrl,
    sandboxUrl,
    demoProducts: true,
  };
}

/** The named merchants of the sandbox at `sandboxUrl`, waiting up to `waitMs` for it to come up. */
export async function fetchSandboxMerchants(
  sandboxUrl: string,
  names: readonly string[],
  waitMs = 20_000,
): Promise<MerchantSeed[]> {
  const deadline = Date.now() + waitMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const res = await axios.get(`${sandboxUrl.replace(/\/$/, "")}/__sandbox/merchants`, { timeout: 3000 });
      const doc = SandboxMerchants.parse(res.data);
      return names.map((n) => sandboxMerchantToRecord(doc, n, sandboxUrl.replace(/\/$/, "")));
    } catch (err) {
      lastErr = err;
      if (err instanceof z.ZodError) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(
    `could not load merchants ${names.join(", ")} from the sandbox at ${sandboxUrl}: ${(lastErr as Error)?.message ?? lastErr}`,
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
export function merchantFromEnv(c: Config): MerchantSeed {
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
    name: c.WECHAT_MERCHANT_NAME ?? c.WECHAT_MCHID!,
    source: "env",
    credentials,
    appsecret: c.WECHAT_APPSECRET!,
    loginBaseUrl: c.WECHAT_API_BASE_URL,
    sandboxUrl: null,
    demoProducts: false,
  };
}

const FileMerchant = z.object({
  name: z.string().min(1).optional(),
  appsecret: z.string().min(1),
  loginBaseUrl: z.string().optional(),
  credentials: z
    .object({ apiVersion: z.enum(["v2", "v3"]), appid: z.string().min(1), mchid: z.string().min(1) })
    .passthrough(),
});

/**
 * Merchants from MERCHANT_FILE: one object or a list of
 * `{ "name"?, "appsecret", "loginBaseUrl"?, "credentials": MerchantCredentials }`.
 */
export function merchantsFromFile(file: string, c: Config): MerchantSeed[] {
  let doc: unknown;
  try {
    doc = JSON.parse(read(file, "MERCHANT_FILE"));
  } catch (err) {
    throw new Error(`MERCHANT_FILE: ${(err as Error).message}`, { cause: err });
  }
  const parsed = z.union([FileMerchant, z.array(FileMerchant).min(1)]).safeParse(doc);
  if (!parsed.success)
    throw new Error(
      `MERCHANT_FILE: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"} ${i.message}`).join("; ")}`,
    );
  const list = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
  return list.map((m) => ({
    name: m.name ?? m.credentials.mchid,
    source: "file",
    credentials: { baseUrl: c.WECHAT_PAY_BASE_URL, ...m.credentials } as MerchantCredentials,
    appsecret: m.appsecret,
    loginBaseUrl: m.loginBaseUrl ?? c.WECHAT_API_BASE_URL,
    sandboxUrl: null,
    demoProducts: false,
  }));
}
