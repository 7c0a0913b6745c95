/**
 * Verifying what WeChat sends (responses and notifies): pick the key the
 * Wechatpay-Serial names (platform certificate or WeChat Pay public key), refuse probes and stale
 * timestamps, then check SHA256withRSA over `ts\nnonce\nbody\n` of the exact bytes received.
 */
import crypto, { X509Certificate } from "node:crypto";
import { NotifyRejectedError, SignatureRejectedError, type SignatureRejectReason } from "../errors";

/** One strategy per key mode; `keyFor` returns null for a serial it does not know. */
export interface Verifier {
  keyFor(serial: string): crypto.KeyObject | null;
}

export class PublicKeyVerifier implements Verifier {
  private readonly key: crypto.KeyObject;
  constructor(
    private readonly keyId: string,
    publicKeyPem: string,
  ) {
    this.key = crypto.createPublicKey(publicKeyPem);
  }
  keyFor(serial: string): crypto.KeyObject | null {
    return serial === this.keyId ? this.key : null;
  }
}

export class PlatformCertificateVerifier implements Verifier {
  private readonly keys = new Map<string, crypto.KeyObject>();
  constructor(certs: { serial?: string; pem: string }[]) {
    for (const c of certs) this.add(c.pem, c.serial);
  }
  add(pem: string, serial?: string): void {
    const cert = new X509Certificate(pem);
    this.keys.set((serial ?? cert.serialNumber).toUpperCase(), cert.publicKey);
  }
  keyFor(serial: string): crypto.KeyObject | null {
    return this.keys.get(serial.toUpperCase()) ?? null;
  }
}

/** Both modes at once (a merchant migrating from certificates to the public key). */
export class CombinedVerifier implements Verifier {
  constructor(private readonly verifiers: Verifier[]) {}
  keyFor(serial: string): crypto.KeyObject | null {
    for (const v of this.verifiers) {
      const k = v.keyFor(serial);
      if (k) return k;
    }
    return null;
  }
}

export const MAX_SKEW_SECONDS = 300;
const PROBE_PREFIX = "WECHATPAY/SIGNTEST/";

function header(headers: Record<string, string | string[] | undefined>, name: string): string {
  const v = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(v) ? (v[0] ?? "") : (v ?? "");
}

/** Why a message from WeChat is not authentic, or null when it is genuine and fresh. */
export function signatureProblem(
  verifier: Verifier,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer | string,
  now: Date,
): { reason: SignatureRejectReason; message: string } | null {
  const ts = header(headers, "wechatpay-timestamp");
  const nonce = header(headers, "wechatpay-nonce");
  const signature = header(headers, "wechatpay-signature");
  const serial = header(headers, "wechatpay-serial");
  if (!ts || !nonce || !signature || !serial)
    return { reason: "malformed", message: "missing Wechatpay-* headers" };
  if (signature.startsWith(PROBE_PREFIX)) return { reason: "probe", message: "signature probe" };
  if (!/^\d{1,12}$/.test(ts)) return { reason: "malformed", message: "bad Wechatpay-Timestamp" };
  if (Math.abs(now.getTime() / 1000 - Number(ts)) >= MAX_SKEW_SECONDS)
    return { reason: "timestamp_skew", message: "Wechatpay-Timestamp too far from now" };
  const key = verifier.keyFor(serial);
  if (!key) return { reason: "unknown_serial", message: "unknown Wechatpay-Serial" };
  const message = Buffer.concat([
    Buffer.from(`${ts}\n${nonce}\n`),
    Buffer.isBuffer(body) ? body : Buffer.from(body),
    Buffer.from("\n"),
  ]);
  let ok: boolean;
  try {
    ok = crypto.verify("sha256", message, key, Buffer.from(signature, "base64"));
  } catch {
    ok = false; // a signature that is not even valid base64/RSA input is simply wrong
  }
  return ok ? null : { reason: "bad_signature", message: "signature does not verify" };
}

/** For notifies: throws NotifyRejectedError naming the check that failed. */
export function verifyWechatSignature(
  verifier: Verifier,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer | string,
  now: Date,
): void {
  const p = signatureProblem(verifier, headers, body, now);
  if (p) throw new NotifyRejectedError(p.reason, p.message);
}

/** For answers to our own requests: throws SignatureRejectedError (a forged upstream answer). */
export function verifyWechatResponse(
  verifier: Verifier,
  res: { status: number; headers: Record<string, string>; body: string },
  now: Date,
  step: string,
): void {
  const p = signatureProblem(verifier, res.headers, res.body, now);
  if (p) throw new SignatureRejectedError(p.reason, step, res.status, `${step}: ${p.message}`);
}
