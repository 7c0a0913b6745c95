/**
 * The transport layer under the WeChat adapters: one axios instance per merchant, raw text
 * bodies (signatures are over exact bytes), timeouts, and bounded retries only where the caller
 * says a retry is safe. Failures become WechatUpstreamError naming the step.
 */
import https from "node:https";
import axios, { type AxiosInstance, type AxiosResponse } from "axios";
import type { GatewayOptions } from "../common";
import { WechatUpstreamError, type TransportFailure } from "../errors";
import type { MerchantCredentials } from "../types";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface TransportOptions {
  baseUrl: string;
  timeoutMs: number;
  /** For mutual TLS (v2 /secapi). */
  tls?: { certPem?: string; keyPem?: string; caPem?: string };
}

export function createHttp(opts: TransportOptions): AxiosInstance {
  const agent =
    opts.tls && opts.baseUrl.startsWith("https:")
      ? new https.Agent({ cert: opts.tls.certPem, key: opts.tls.keyPem, ca: opts.tls.caPem, keepAlive: true })
      : undefined;
  return axios.create({
    baseURL: opts.baseUrl.replace(/\/$/, ""),
    timeout: opts.timeoutMs,
    httpsAgent: agent,
    responseType: "text",
    transformResponse: (r) => r, // keep the exact bytes
    validateStatus: () => true,
    maxRedirects: 0,
    headers: { "User-Agent": "minipay/0.1 (+https://github.com/minipay)" },
  });
}

const TLS_CODES = new Set([
  "EPROTO",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
]);

/** Name what failed below HTTP, from the Node/axios error code (which is stable, unlike messages). */
export function transportFailure(err: unknown): TransportFailure {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown } } | null;
  const code = String(e?.code ?? e?.cause?.code ?? "");
  if (code === "ECONNABORTED" || code === "ETIMEDOUT" || /timeout/i.test(String(e?.message ?? "")))
    return "timeout";
  if (code === "ECONNREFUSED") return "connection_refused";
  if (code === "ECONNRESET" || code === "EPIPE") return "connection_reset";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "dns";
  if (TLS_CODES.has(code) || /^ERR_(TLS|SSL)_/.test(code) || code.includes("CERT")) return "tls";
  return "other";
}

/**
 * The cause without the axios request config: that config holds the mutual-TLS client key and
 * signed headers, which must never reach a log line.
 */
function bareCause(err: unknown): Error {
  const e = err as { code?: unknown; message?: unknown } | null;
  const out = new Error(String(e?.message ?? err));
  if (e?.code !== undefined) Object.assign(out, { code: String(e.code) });
  return out;
}

export async function send(
  http: AxiosInstance,
  step: string,
  req: { method: "GET" | "POST"; url: string; body?: string; headers?: Record<string, string> },
): Promise<RawResponse> {
  let res: AxiosResponse<string>;
  try {
    res = await http.request({ method: req.method, url: req.url, data: req.body, headers: req.headers });
  } catch (err) {
    const detail = transportFailure(err);
    throw new WechatUpstreamError(
      detail === "timeout" ? "timeout" : "network",
      step,
      null,
      null,
      `${step}: ${detail === "timeout" ? "timed out" : `network error (${detail})`}`,
      { detail, cause: bareCause(err) },
    );
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers ?? {}))
    if (typeof v === "string") headers[k.toLowerCase()] = v;
  return {
    status: res.status,
    headers,
    body: typeof res.data === "string" ? res.data : String(res.data ?? ""),
  };
}

/** Run fn, retrying up to `retries` times when `retryable(err)` says so, with a short backoff. */
export async function withRetry<T>(
  fn: () => Promise<T>,
  retries: number,
  retryable: (err: unknown) => boolean,
  baseDelayMs = 100,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= retries || !retryable(err)) throw err;
      await new Promise((r) => setTimeout(r, baseDelayMs * 2 ** attempt));
    }
  }
}

/** Transient failures where WeChat tells us to retry with the same parameters. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof WechatUpstreamError)) return false;
  if (err.failure === "timeout" || err.failure === "network") return true;
  if (err.failure === "http" && (err.httpStatus ?? 0) >= 500) return true;
  return (
    err.failure === "business" &&
    ["SYSTEMERROR", "SYSTEM_ERROR", "BIZERR_NEED_RETRY"].includes(err.wechatCode ?? "")
  );
}

/** What the v2 and v3 clients share: the merchant's ids, its options, the plain connection, retries. */
export abstract class MerchantHttpClient {
  readonly appid: string;
  readonly mchid: string;
  protected readonly http: AxiosInstance;

  constructor(
    creds: MerchantCredentials,
    readonly opts: GatewayOptions,
  ) {
    this.appid = creds.appid;
    this.mchid = creds.mchid;
    this.http = createHttp({ baseUrl: creds.baseUrl, timeoutMs: opts.timeoutMs });
  }

  /** Repeat transient failures unless the caller says a repeat is not safe (retry: false). */
  protected attempt<T>(once: () => Promise<T>, retry: boolean | undefined): Promise<T> {
    return retry === false ? once() : withRetry(once, this.opts.retries, isTransient);
  }
}
