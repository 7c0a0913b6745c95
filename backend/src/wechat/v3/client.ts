/**
 * The signed APIv3 transport: Authorization on every request, and every 2xx answer must carry
 * Wechatpay-* headers that verify with the key its serial names (platform certificate or WeChat Pay
 * public key), or it is treated as forged. Holds the platform-certificate cache for this merchant.
 */
import { z } from "zod";
import { epochSeconds, type GatewayOptions } from "../common";
import { NotifyFactsInvalidError, WechatUpstreamError } from "../errors";
import { MerchantHttpClient, send, transportFailure, type RawResponse } from "../transport/client";
import type { MerchantCredentials } from "../types";
import { nonceStr } from "../wire-format";
import { aeadDecrypt } from "./aead";
import { authorizationHeader } from "./sign";
import {
  CombinedVerifier,
  PlatformCertificateVerifier,
  PublicKeyVerifier,
  verifyWechatResponse,
  type Verifier,
} from "./verify";

export interface CallOptions {
  /** Repeat transient failures (only for calls that are safe to repeat with the same body). */
  retry?: boolean;
  /** Check the answer's signature (off only for the certificate download, checked afterwards). */
  verify?: boolean;
}

export type V3Credentials = NonNullable<MerchantCredentials["v3"]>;

const ErrorBody = z.object({ code: z.string().min(1) });

/** An encrypted resource, as in notifies and the certificate list. */
export const EncryptedResource = z.object({
  algorithm: z.literal("AEAD_AES_256_GCM"),
  ciphertext: z.string(),
  nonce: z.string(),
  associated_data: z.string().optional(),
  original_type: z.string().optional(),
});

const CertificateList = z.object({
  data: z.array(z.object({ serial_no: z.string(), encrypt_certificate: EncryptedResource })),
});

/**
 * Parse a verified JSON answer against its schema. A body that is not JSON is an unreadable
 * answer; signed JSON of the wrong shape is a genuine message with bad facts.
 */
export function parseSigned<T extends z.ZodType>(
  schema: T,
  body: string,
  step: string,
  status = 200,
): z.infer<T> {
  return checkShape(schema, readJson(body, step, status));
}

/** Error answers may be a proxy's HTML page rather than WeChat's JSON: then there is no code. */
function readJsonOrNull(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return null;
  }
}

export function readJson(body: string, step: string, status = 200): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new WechatUpstreamError("http", step, null, status, `${step}: unreadable response`);
  }
}

/** Structure check of a decoded message; the first problem names its field. */
export function checkShape<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.join(".") || "(body)";
  let at: unknown = raw;
  for (const p of issue.path)
    at = at && typeof at === "object" ? (at as Record<PropertyKey, unknown>)[p] : undefined;
  throw new NotifyFactsInvalidError(at === undefined ? "missing" : "format", field);
}

export class V3Client extends MerchantHttpClient {
  readonly v3: V3Credentials;
  readonly verifier: Verifier;
  private readonly certs: PlatformCertificateVerifier;
  private certsLoaded = false;

  constructor(creds: MerchantCredentials, opts: GatewayOptions) {
    if (!creds.v3) throw new Error("v3 credentials missing");
    super(creds, opts);
    this.v3 = creds.v3;
    this.certs = new PlatformCertificateVerifier(creds.v3.platformCertificates ?? []);
    const parts: Verifier[] = [this.certs];
    if (creds.v3.publicKeyId && creds.v3.publicKeyPem)
      parts.unshift(new PublicKeyVerifier(creds.v3.publicKeyId, creds.v3.publicKeyPem));
    // In public-key mode only the public key is trusted; certificate mode may also know the key during migration.
    this.verifier = creds.v3.keyMode === "public_key" ? parts[0]! : new CombinedVerifier(parts);
  }

  call(step: string, method: "GET" | "POST", url: string, payload?: unknown, o: CallOptions = {}) {
    const once = async () => {
      if (o.verify !== false) await this.ensureCertificates();
      return this.once(step, method, url, payload, o);
    };
    return this.attempt(once, o.retry);
  }

  private async once(
    step: string,
    method: "GET" | "POST",
    url: string,
    payload: unknown,
    o: CallOptions,
  ): Promise<RawResponse> {
    const body = payload === undefined ? "" : JSON.stringify(payload);
    const res = await send(this.http, step, {
      method,
      url,
      body: body || undefined,
      headers: {
        Accept: "application/json",
        ...(body ? { "Content-Type": "application/json" } : {}),
        Authorization: authorizationHeader({
          mchid: this.mchid,
          serialNo: this.v3.certificateSerial,
          privateKeyPem: this.v3.privateKeyPem,
          method,
          canonicalUrl: url,
          body,
          timestamp: epochSeconds(this.opts.clock),
          nonce: nonceStr(),
        }),
        ...(this.v3.keyMode === "public_key" && this.v3.publicKeyId
          ? { "Wechatpay-Serial": this.v3.publicKeyId }
          : {}),
      },
    });
    if (res.status >= 200 && res.status < 300) {
      if (o.verify !== false) verifyWechatResponse(this.verifier, res, this.opts.clock(), step);
      return res;
    }
    const code = ErrorBody.safeParse(readJsonOrNull(res.body)).data?.code ?? null;
    if (code) throw new WechatUpstreamError("business", step, code, res.status);
    throw new WechatUpstreamError("http", step, null, res.status);
  }

  /**
   * A signed GET whose answer is bytes and carries no WeChat signature: the bill file download
   * (WeChat signs no file download; the tradebill answer that named it was verified, and its hash
   * is checked by the caller). `pathAndQuery` is signed exactly as sent.
   */
  async fetchBytes(step: string, pathAndQuery: string): Promise<{ status: number; body: Buffer }> {
    const headers = {
      Authorization: authorizationHeader({
        mchid: this.mchid,
        serialNo: this.v3.certificateSerial,
        privateKeyPem: this.v3.privateKeyPem,
        method: "GET",
        canonicalUrl: pathAndQuery,
        body: "",
        timestamp: epochSeconds(this.opts.clock),
        nonce: nonceStr(),
      }),
    };
    try {
      const res = await this.http.get<ArrayBuffer>(pathAndQuery, {
        headers,
        responseType: "arraybuffer",
        transformResponse: (r: unknown) => r,
      });
      return { status: res.status, body: Buffer.from(res.data) };
    } catch (err) {
      const detail = transportFailure(err);
      throw new WechatUpstreamError(
        detail === "timeout" ? "timeout" : "network",
        step,
        null,
        null,
        `${step}: download failed (${detail})`,
        { detail },
      );
    }
  }

  /** Platform-certificate mode with no certificate configured: download and decrypt them once. */
  async ensureCertificates(): Promise<void> {
    if (this.certsLoaded || this.v3.keyMode !== "platform_certificate") return;
    if ((this.v3.platformCertificates?.length ?? 0) > 0) {
      this.certsLoaded = true;
      return;
    }
    // The list is signed by a key it contains: decrypt first (only the APIv3 key holder can), then verify.
    const res = await this.once("certificates", "GET", "/v3/certificates", undefined, { verify: false });
    let list: z.infer<typeof CertificateList>;
    try {
      list = parseSigned(CertificateList, res.body, "certificates", res.status);
    } catch (err) {
      if (!(err instanceof NotifyFactsInvalidError)) throw err;
      throw new WechatUpstreamError("http", "certificates", null, res.status, `certificates: ${err.message}`);
    }
    for (const c of list.data) this.certs.add(this.decrypt(c.encrypt_certificate), c.serial_no);
    verifyWechatResponse(this.verifier, res, this.opts.clock(), "certificates");
    this.certsLoaded = true;
  }

  /** AEAD_AES_256_GCM under the APIv3 key; throws when the tag does not verify. */
  decrypt(r: z.infer<typeof EncryptedResource>): string {
    return aeadDecrypt({
      key: this.v3.apiV3Key,
      nonce: r.nonce,
      associatedData: r.associated_data ?? "",
      ciphertext: r.ciphertext,
    });
  }
}
