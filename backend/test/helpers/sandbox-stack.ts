/**
 * The real thing for end-to-end suites: the sandbox on a free port, the backend app over a fresh
 * database, wired with the real WeChat adapters for one sandbox merchant.
 */
import crypto from "node:crypto";
import { createApi, type HttpAdapter } from "@minipay/shared";
import { startTestSandbox, type SandboxControl, type TestSandbox } from "../../../sandbox/src/testing";
import { wechatAdapters } from "../../src/boot";
import type { AdapterFactory } from "../../src/merchants/registry";
import { merchantIdFor } from "../../src/merchants/secrets";
import {
  fetchSandboxMerchants,
  type MerchantSeed,
  type SandboxMerchantName,
} from "../../src/merchants/sources";
import { startHarness, type Harness } from "./harness";
import { callJson } from "./http";

export type { SandboxMerchantName };
export const MERCHANTS: SandboxMerchantName[] = ["v2-md5", "v2-hmac", "v3-platform-cert", "v3-public-key"];

/** The sandbox and its typed control client come from the sandbox's own test kit. */
export type Sandbox = TestSandbox;
export { startTestSandbox };

export interface Stack {
  h: Harness;
  sandbox: Sandbox;
  /** The first merchant's seed (credentials as configured) and its id. */
  merchant: MerchantSeed;
  merchantId: string;
  /** Every merchant of this stack, in the order given. */
  merchants: MerchantSeed[];
  /** JSON call to the backend. */
  api(
    method: string,
    p: string,
    opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any }>;
  /** The sandbox's control API, typed (pay, scenarios, login codes, notifications). */
  sb: SandboxControl;
  /** The typed API client of shared/ (the one the mini-program uses): every answer is schema-checked. */
  client(token: string | null): ReturnType<typeof createApi>;
  /** POST /api/v1/orders for one line, with a fresh Idempotency-Key unless one is given. */
  order(
    token: string,
    productId: string,
    quantity: number,
    key?: string,
  ): Promise<{ status: number; body: any }>;
  /** How far the backend's clock runs ahead of real time (when no `now` option was given). */
  clockOffsetMs: number;
  /** One sweeper pass with the clock `offsetMs` ahead, then the clock back to real time. */
  sweepAt(offsetMs: number): Promise<{ queried: number; expired: number }>;
  /** Log a shopper in to the first merchant's mini-program, or to `merchant`'s. */
  login(openid?: string, merchant?: MerchantSeed): Promise<{ token: string; openid: string }>;
  close(): Promise<void>;
}

export async function startStack(
  sandbox: Sandbox,
  names: SandboxMerchantName | SandboxMerchantName[],
  opts: {
    now?: () => Date;
    verifyPerMinute?: number;
    timeoutMs?: number;
    databaseUrl?: string;
    masterKey?: Buffer;
    publicBaseUrl?: (ownUrl: string) => string;
    jobs?: { scheduleSeconds: number[] };
    adapters?: AdapterFactory;
    metricsToken?: string;
    refundsForDay?: Parameters<typeof startHarness>[0]["refundsForDay"];
    webhooks?: Parameters<typeof startHarness>[0]["webhooks"];
  } = {},
): Promise<Stack> {
  const merchants = await fetchSandboxMerchants(sandbox.url, Array.isArray(names) ? names : [names], 5000);
  const merchant = merchants[0]!;
  const clock = { offsetMs: 0 };
  const h = await startHarness({
    merchants,
    adapters: opts.adapters ?? wechatAdapters(opts.timeoutMs ?? 3000),
    jobs: opts.jobs,
    now: opts.now ?? (() => new Date(Date.now() + clock.offsetMs)),
    verifyPerMinute: opts.verifyPerMinute,
    databaseUrl: opts.databaseUrl,
    masterKey: opts.masterKey,
    publicBaseUrl: opts.publicBaseUrl,
    metricsToken: opts.metricsToken,
    refundsForDay: opts.refundsForDay,
    webhooks: opts.webhooks,
  });
  const stack: Stack = {
    h,
    get clockOffsetMs() {
      return clock.offsetMs;
    },
    set clockOffsetMs(ms: number) {
      clock.offsetMs = ms;
    },
    sweepAt: async (offsetMs) => {
      clock.offsetMs = offsetMs;
      try {
        return await h.sweeper.runOnce();
      } finally {
        clock.offsetMs = 0;
      }
    },
    sandbox,
    merchant,
    merchantId: merchantIdFor(merchant.credentials.mchid),
    merchants,
    api: (method, p, o = {}) => callJson(h.url, method, p, o),
    sb: sandbox.control,
    client: (token) =>
      createApi({
        http: fetchAdapter,
        baseUrl: h.url,
        token: () => token,
        relogin: async () => {
          throw new Error("a test client does not log in again");
        },
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        retries: 0,
      }),
    order: (token, productId, quantity, key = idemKey()) =>
      stack.api("POST", "/api/v1/orders", {
        token,
        body: { items: [{ productId, quantity }] },
        headers: { "idempotency-key": key },
      }),
    login: async (openid, m = merchant) => {
      const c = await sandbox.control.loginCode(m.credentials.appid, openid);
      const s = await stack
        .client(null)
        .login(c.code, merchants.length > 1 ? m.credentials.appid : undefined);
      return { token: s.token, openid: c.openid };
    },
    close: () => h.close(),
  };
  return stack;
}

/** The client's network seam over fetch. */
const fetchAdapter: HttpAdapter = async (req) => {
  const r = await fetch(req.url, {
    method: req.method,
    headers: req.header,
    body: req.data === undefined ? undefined : JSON.stringify(req.data),
  });
  const text = await r.text();
  return { statusCode: r.status, data: text ? JSON.parse(text) : null };
};

export function idemKey(): string {
  return "k-" + crypto.randomBytes(12).toString("hex");
}

/** Poll until fn returns a truthy value (no fixed sleeps in assertions). */
export async function eventually<T>(
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`condition not met in ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ""}`);
}

/** A logged-in shopper with one order that has a JSAPI prepay: the start of most payment tests. */
export async function payingOrder(
  stack: Stack,
  item: { productId: string; quantity: number } = { productId: "oolong-tea", quantity: 1 },
  merchant?: MerchantSeed,
) {
  const { token, openid } = await stack.login(undefined, merchant);
  // Through the shared typed client: the contract's schemas check every answer on the way.
  const api = stack.client(token);
  const order = await api.createOrder({ items: [item] }, idemKey());
  const pay = await api.createPayment(order.id, "jsapi");
  if (pay.method !== "jsapi") throw new Error("expected a jsapi payment");
  return { token, openid, order, prepayId: pay.params.package.slice("prepay_id=".length) };
}

/** An object that forwards to what `current()` holds once a hook has set it. */
function lateBound<T extends object>(what: string, current: () => T | null): T {
  return new Proxy({} as T, {
    get(_t, p) {
      const v = current();
      if (!v) throw new Error(`${what} is used before its beforeAll hook ran`);
      const x = (v as Record<string | symbol, unknown>)[p];
      return typeof x === "function" ? x.bind(v) : x;
    },
    set(_t, p, value) {
      const v = current();
      if (!v) throw new Error(`${what} is used before its beforeAll hook ran`);
      (v as Record<string | symbol, unknown>)[p] = value;
      return true;
    },
  });
}

/** A sandbox started before the tests of the enclosing file or describe and closed after them. */
export function useSandbox(): Sandbox {
  let sb: Sandbox | null = null;
  beforeAll(async () => {
    sb = await startTestSandbox();
  });
  afterAll(() => sb?.close());
  return lateBound("the sandbox", () => sb);
}

/**
 * A stack (backend + database) for the enclosing file or describe, on `sandbox`: started before
 * its tests, scenarios cleared after each test, closed after all of them.
 */
export function useStack(
  sandbox: Sandbox,
  names: SandboxMerchantName | SandboxMerchantName[],
  opts: Parameters<typeof startStack>[2] = {},
): Stack {
  let stack: Stack | null = null;
  beforeAll(async () => {
    stack = await startStack(sandbox, names, opts);
  });
  afterEach(() => stack?.sb.clearScenarios());
  afterAll(() => stack?.close());
  return lateBound("the stack", () => stack);
}
