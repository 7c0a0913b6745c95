/**
 * The real thing for end-to-end suites: the sandbox on a free port, the backend app over a fresh
 * database, wired with the real WeChat adapters for one sandbox merchant.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startSandbox } from "../../../sandbox/src";
import { fetchSandboxMerchant, type MerchantRecord } from "../../src/services/merchants";
import { createWechatAuth } from "../../src/wechat/auth/code2session";
import { createGateway } from "../../src/wechat/gateway-factory";
import { startHarness, type Harness } from "./harness";

export type SandboxMerchantName = "v2-md5" | "v2-hmac" | "v3-platform-cert" | "v3-public-key";
export const MERCHANTS: SandboxMerchantName[] = ["v2-md5", "v2-hmac", "v3-platform-cert", "v3-public-key"];

export interface Sandbox {
  url: string;
  close(): Promise<void>;
}

export async function startTestSandbox(): Promise<Sandbox> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "minipay-sandbox-"));
  const sb = await startSandbox({ port: 0, tlsPort: 0, seed: "minipay-tests", timeScale: 0.001, dataDir });
  return {
    url: sb.url,
    close: async () => {
      await sb.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Stack {
  h: Harness;
  sandbox: Sandbox;
  merchant: MerchantRecord;
  /** JSON call to the backend. */
  api(
    method: string,
    p: string,
    opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any }>;
  /** JSON call to the sandbox control API. */
  control(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }>;
  login(openid?: string): Promise<{ token: string; openid: string }>;
  close(): Promise<void>;
}

async function json(url: string, init: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

export async function startStack(
  sandbox: Sandbox,
  name: SandboxMerchantName,
  opts: { now?: () => Date; verifyPerMinute?: number } = {},
): Promise<Stack> {
  const merchant = await fetchSandboxMerchant(sandbox.url, name, 5000);
  const gateway = createGateway(merchant.credentials, { timeoutMs: 3000 });
  const auth = createWechatAuth({
    baseUrl: merchant.loginBaseUrl,
    appid: merchant.credentials.appid,
    secret: merchant.appsecret,
    timeoutMs: 3000,
  });
  const h = await startHarness({
    gateway,
    auth,
    merchant,
    now: opts.now,
    verifyPerMinute: opts.verifyPerMinute,
  });
  const stack: Stack = {
    h,
    sandbox,
    merchant,
    api: (method, p, o = {}) =>
      json(h.url + p, {
        method,
        headers: {
          ...(o.body !== undefined ? { "content-type": "application/json" } : {}),
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
          ...(o.headers ?? {}),
        },
        body: o.body !== undefined ? JSON.stringify(o.body) : undefined,
      }),
    control: (method, p, body) =>
      json(sandbox.url + p, {
        method,
        headers: body !== undefined ? { "content-type": "application/json" } : {},
        body: body !== undefined ? JSON.stringify(body) : undefined,
      }),
    login: async (openid) => {
      const c = await stack.control("POST", "/__sandbox/login-codes", {
        appid: merchant.credentials.appid,
        ...(openid ? { openid } : {}),
      });
      if (c.status !== 200) throw new Error(`login-codes ${c.status} ${JSON.stringify(c.body)}`);
      const s = await stack.api("POST", "/api/v1/session", { body: { code: c.body.code } });
      if (s.status !== 200) throw new Error(`session ${s.status} ${JSON.stringify(s.body)}`);
      return { token: s.body.token, openid: c.body.openid };
    },
    close: () => h.close(),
  };
  return stack;
}

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
) {
  const { token, openid } = await stack.login();
  const o = await stack.api("POST", "/api/v1/orders", {
    token,
    body: { items: [item] },
    headers: { "idempotency-key": idemKey() },
  });
  const pay = await stack.api("POST", `/api/v1/orders/${o.body.id}/payments`, {
    token,
    body: { method: "jsapi" },
  });
  return {
    token,
    openid,
    order: o.body,
    prepayId: pay.body.params.package.slice("prepay_id=".length) as string,
  };
}
