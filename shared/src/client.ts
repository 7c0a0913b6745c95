/**
 * Typed client for the backend (/api/v1), built on the shared zod schemas: every response is
 * parsed, every error becomes an ApiError with a stable code. Reads and idempotent writes are
 * retried on network failures; a 401 triggers one re-login and one retry. The network is injected
 * (HttpAdapter), so the same client runs in a mini-program, a browser or Node.
 */
import type { z } from "zod";
import {
  API_PREFIX,
  ClientConfig,
  ErrorBody,
  Order,
  OrderList,
  PaymentResponse,
  ProductList,
  Quote,
  SessionResponse,
  type CreateOrderRequest,
  type PaymentMethod,
  type QuoteRequest,
  type SessionRequest,
} from "./api";

/** The one seam to the network. */
export interface HttpRequest {
  method: "GET" | "POST";
  url: string;
  data?: unknown;
  header?: Record<string, string>;
  timeoutMs?: number;
}

export interface HttpResponse {
  statusCode: number;
  data: unknown;
}

/** Network failures reject; HTTP errors resolve with their status. */
export type HttpAdapter = (req: HttpRequest) => Promise<HttpResponse>;

export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message?: string,
  ) {
    super(message ?? code);
    this.name = "ApiError";
  }
}

export interface ApiDeps {
  http: HttpAdapter;
  baseUrl: string;
  token(): string | null;
  /** Log in again (after a 401); resolves when a new token is stored. */
  relogin(): Promise<void>;
  sleep(ms: number): Promise<void>;
  retries?: number;
}

/**
 * Client-side timeouts. Calls that reach WeChat wait longer than the backend's own WeChat budget
 * (5 s per try, up to 3 tries, plus backoff), so the client never gives up on an answer that is
 * still coming and then retries into a second prepay.
 */
export const TIMEOUTS = { defaultMs: 10_000, upstreamMs: 25_000 };

interface CallOpts {
  auth?: boolean;
  body?: unknown;
  headers?: Record<string, string>;
  /** Safe to resend after a network failure (GETs, idempotent writes). */
  retry?: boolean;
  /** The backend calls WeChat for this one: use the longer timeout. */
  upstream?: boolean;
}

export function createApi(d: ApiDeps) {
  const retries = d.retries ?? 2;

  async function once(method: "GET" | "POST", path: string, o: CallOpts) {
    const header: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.body !== undefined) header["content-type"] = "application/json";
    const t = o.auth ? d.token() : null;
    if (t) header.authorization = `Bearer ${t}`;
    return d.http({
      method,
      url: `${d.baseUrl}${API_PREFIX}${path}`,
      data: o.body,
      header,
      timeoutMs: o.upstream ? TIMEOUTS.upstreamMs : TIMEOUTS.defaultMs,
    });
  }

  async function call<S extends z.ZodType>(
    method: "GET" | "POST",
    path: string,
    schema: S,
    o: CallOpts = {},
  ): Promise<z.infer<S>> {
    let relogged = false;
    for (let attempt = 0; ; attempt++) {
      let res;
      try {
        res = await once(method, path, o);
      } catch {
        if (o.retry && attempt < retries) {
          await d.sleep(500 * 2 ** attempt);
          continue;
        }
        throw new ApiError("NETWORK", 0);
      }
      if (res.statusCode === 401 && o.auth && !relogged) {
        relogged = true;
        await d.relogin();
        continue;
      }
      if (res.statusCode >= 200 && res.statusCode < 300) {
        const parsed = schema.safeParse(res.data);
        if (!parsed.success) throw new ApiError("BAD_RESPONSE", res.statusCode);
        return parsed.data;
      }
      const err = ErrorBody.safeParse(res.data);
      if (err.success) throw new ApiError(err.data.error.code, res.statusCode, err.data.error.message);
      if (res.statusCode >= 500 && o.retry && attempt < retries) {
        await d.sleep(500 * 2 ** attempt);
        continue;
      }
      throw new ApiError("BAD_RESPONSE", res.statusCode);
    }
  }

  return {
    config: () => call("GET", "/config", ClientConfig, { retry: true }),
    // A login code is single-use: never resent automatically. appid is needed when the backend
    // serves more than one mini-program.
    login: (code: string, appid?: string) =>
      call("POST", "/session", SessionResponse, {
        body: (appid ? { code, appid } : { code }) satisfies SessionRequest,
        upstream: true,
      }),
    products: () => call("GET", "/products", ProductList, { retry: true }),
    // Prices a cart without reserving anything, so it is safe to resend.
    quote: (items: QuoteRequest["items"]) =>
      call("POST", "/quotes", Quote, { auth: true, body: { items } satisfies QuoteRequest, retry: true }),
    createOrder: (req: CreateOrderRequest, idempotencyKey: string) =>
      call("POST", "/orders", Order, {
        auth: true,
        body: req,
        headers: { "Idempotency-Key": idempotencyKey },
        retry: true,
      }),
    order: (id: string) =>
      call("GET", `/orders/${encodeURIComponent(id)}`, Order, { auth: true, retry: true }),
    orders: (cursor?: string) =>
      call("GET", `/orders?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, OrderList, {
        auth: true,
        retry: true,
      }),
    // The backend reuses a live prepay for the same order, so a resend cannot create a second one.
    createPayment: (id: string, method: PaymentMethod) =>
      call("POST", `/orders/${encodeURIComponent(id)}/payments`, PaymentResponse, {
        auth: true,
        body: { method },
        retry: true,
        upstream: true,
      }),
    verify: (id: string) =>
      call("POST", `/orders/${encodeURIComponent(id)}/verify`, Order, {
        auth: true,
        retry: true,
        upstream: true,
      }),
  };
}

export type Api = ReturnType<typeof createApi>;
