/**
 * Structured logs (pino). The redaction list is the last line of defence: code should not log
 * secrets in the first place, but if an object carrying one is logged, the value is censored.
 */
import crypto from "node:crypto";
import pino, { type Logger } from "pino";

export type { Logger };

const SECRET_KEYS = [
  "authorization",
  "Authorization",
  "password",
  "secret",
  "appsecret",
  "session_key",
  "sessionKey",
  "sign",
  "paySign",
  "signature",
  "ciphertext",
  "req_info",
  "apiV2Key",
  "apiV3Key",
  "privateKeyPem",
  "token",
  "openid",
  "payerOpenid",
  "masterKey",
];

/** Each secret key at the top level of a log object and one level down. */
export const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers['wechatpay-signature']",
  "headers.authorization",
  "headers['wechatpay-signature']",
];

export function createLogger(opts: {
  level: string;
  pretty?: boolean;
  destination?: pino.DestinationStream;
}): Logger {
  const pretty = opts.pretty ?? (process.stdout.isTTY && !opts.destination);
  const base: pino.LoggerOptions = {
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    base: undefined,
  };
  if (opts.destination) return pino(base, opts.destination);
  if (pretty) {
    return pino({
      ...base,
      transport: { target: "pino-pretty", options: { translateTime: "SYS:HH:MM:ss.l" } },
    });
  }
  return pino(base);
}

/**
 * A short keyed hash of an openid, stable per deployment, for logs and for showing a user which
 * account they are: enough to correlate, useless to look anyone up with.
 */
export function openidHint(openid: string, key: Buffer): string {
  return "u_" + crypto.createHmac("sha256", key).update(openid).digest("base64url").slice(0, 10);
}
