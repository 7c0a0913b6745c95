/**
 * Signing webhook deliveries the Standard Webhooks way (https://www.standardwebhooks.com, symmetric
 * `v1`): HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<raw body>" keyed with the base64 part
 * of the endpoint's `whsec_…` secret, base64 output. While a rotated-out secret is still honoured,
 * the header carries one signature per secret, space-separated, so a receiver holding either
 * verifies. Pure: the caller supplies the time and the secrets.
 */
import crypto from "node:crypto";

export const SECRET_PREFIX = "whsec_";
const SECRET_RE = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

/** A new endpoint secret from `bytes` random bytes (the spec asks for 24–64; we use 32). */
export function formatWebhookSecret(bytes: Buffer): string {
  if (bytes.length < 24 || bytes.length > 64) throw new Error("a webhook secret is 24 to 64 bytes");
  return SECRET_PREFIX + bytes.toString("base64");
}

export function isWebhookSecret(s: string): boolean {
  return SECRET_RE.test(s);
}

function secretKey(secret: string): Buffer {
  if (!isWebhookSecret(secret)) throw new Error("not a whsec_ secret");
  return Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
}

/** One `v1,<base64>` signature of a delivery under one secret. */
export function webhookSignature(
  secret: string,
  msg: { id: string; timestamp: number; body: string },
): string {
  if (msg.id.includes(".") || !Number.isInteger(msg.timestamp))
    throw new Error("webhook id must not contain '.', timestamp must be whole seconds");
  const mac = crypto
    .createHmac("sha256", secretKey(secret))
    .update(`${msg.id}.${msg.timestamp}.${msg.body}`, "utf8")
    .digest("base64");
  return `v1,${mac}`;
}

/** The three headers of one attempt; `secrets` is the current one first, then any still honoured. */
export function signWebhook(
  secrets: readonly string[],
  msg: { id: string; at: Date; body: string },
): { "webhook-id": string; "webhook-timestamp": string; "webhook-signature": string } {
  if (secrets.length === 0) throw new Error("at least one secret");
  const timestamp = Math.floor(msg.at.getTime() / 1000);
  return {
    "webhook-id": msg.id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": secrets
      .map((s) => webhookSignature(s, { id: msg.id, timestamp, body: msg.body }))
      .join(" "),
  };
}
