/**
 * Verifying what WeChat sends (responses and notifies, spec §3.3): pick the key the
 * Wechatpay-Serial names (platform certificate or WeChat Pay public key), refuse probes and stale
 * timestamps, then check SHA256withRSA over `ts\nnonce\nbody\n` of the exact bytes received.
 */
import crypto, { X509Certificate } from "node:crypto";
import { NotifyRejectedError } from "../errors";

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

/**
 * Throws NotifyRejectedError with the step that failed; returns normally only for a genuine,
 * fresh message.
 */
export function verifyWechatSignature(
  verifier: Verifier,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer | string,
  now: Date,
): void {
  const ts = header(headers, "wechatpay-timestamp");
  const nonce = header(headers, "wechatpay-nonce");
  const signature = header(headers, "wechatpay-signature");
  const serial = header(headers, "wechatpay-serial");
  if (!ts || !nonce || !signature || !serial)
    throw new NotifyRejectedError("malformed", "missing Wechatpay-* headers");
  if (signature.startsWith(PROBE_PREFIX)) throw new NotifyRejectedError("probe", "signature probe");
  if (!/^\d{1,12}$/.test(ts)) throw new NotifyRejectedError("malformed", "bad Wechatpay-Timestamp");
  if (Math.abs(now.getTime() / 1000 - Number(ts)) >= MAX_SKEW_SECONDS)
    throw new NotifyRejectedError("timestamp_skew", "Wechatpay-Timestamp too far from now");
  const key = verifier.keyFor(serial);
  if (!key) throw new NotifyRejectedError("unknown_serial", "unknown Wechatpay-Serial");
  const message = Buffer.concat([
    Buffer.from(`${ts}\n${nonce}\n`),
    Buffer.isBuffer(body) ? body : Buffer.from(body),
    Buffer.from("\n"),
  ]);
  let ok: boolean;
  try {
    ok = crypto.verify("sha256", message, key, Buffer.from(signature, "base64"));
  } catch {
    ok = false;
  }
  if (!ok) throw new NotifyRejectedError("bad_signature", "signature does not verify");
}
