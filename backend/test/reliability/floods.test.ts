/**
 * G19: floods against the limits README "Limits" documents, at their default values: logins per
 * client address (20/min), new orders per user (10/min), verifies per user (30/min) and admin
 * requests per key (600/min). Sent ten at a time; exactly the limit gets through, every request
 * after it is 429 RATE_LIMITED with Retry-After. The clock stands still, so one window holds them all.
 */
import crypto from "node:crypto";
import { ADMIN_PREFIX } from "@minipay/shared";
import type { AdapterFactory } from "../../src/merchants/registry";
import { CLI_ACTOR } from "../../src/services/admin/actor";
import { ApiKeyService } from "../../src/services/admin/keys";
import {
  merchantIdFor,
  offlineMerchant,
  startHarness,
  unusedGateway,
  type Harness,
} from "../helpers/harness";
import { callJson, type Reply } from "../helpers/http";
import { idemKey } from "../helpers/sandbox-stack";
import { Capture, pool, record, scanAndRecord, size } from "./kit";

const TIMES = size(1.5, 3);
const APPID = offlineMerchant().credentials.appid;
const capture = new Capture();

/** code2Session answering every code with an openid derived from it (and a session key nobody may see). */
const wechat: AdapterFactory = {
  gateway: () => unusedGateway(),
  auth: (s) => ({
    appid: s.credentials.appid,
    code2Session: async (code: string) => {
      const openid = "o" + crypto.createHash("sha256").update(code).digest("base64url").slice(0, 27);
      const sessionKey = crypto.randomBytes(16).toString("base64");
      capture.openids.add(openid);
      capture.secret("session_key", sessionKey);
      return { openid, sessionKey, unionid: null };
    },
  }),
};

let h: Harness;
beforeAll(async () => {
  const fixed = new Date();
  h = await startHarness({
    adapters: wechat,
    now: () => fixed,
    verifyPerMinute: 30,
    // Each check's shopper comes from its own address (X-Forwarded-For), as behind a proxy.
    trustProxy: true,
    limits: {
      loginPerClientPerMinute: 20,
      loginPerAppPerMinute: 600,
      ordersPerUserPerMinute: 10,
      adminPerKeyPerMinute: 600,
      // The open-order cap (3) would refuse new orders first; raised so the rate is what is met.
      maxOpenOrdersPerUser: 10_000,
    },
  });
});
afterAll(() => h?.close());

const code = () => crypto.randomBytes(24).toString("base64url").slice(0, 32);
const login = async (ip: string) =>
  callJson(h.url, "POST", "/api/v1/session", {
    body: { code: code(), appid: APPID },
    headers: { "x-forwarded-for": ip },
  });

async function flood(label: string, limit: number, one: () => Promise<Reply>) {
  const n = Math.ceil(limit * TIMES);
  const replies = await pool(
    Array.from({ length: n }, (_, i) => i),
    10,
    () => one(),
  );
  for (const r of replies) capture.add(JSON.stringify(r.body));
  const ok = replies.filter((r) => r.status < 300).length;
  const limited = replies.filter(
    (r) =>
      r.status === 429 && r.body?.error?.code === "RATE_LIMITED" && Number(r.headers.get("retry-after")) > 0,
  ).length;
  const other = n - ok - limited;
  const wrong = Math.abs(ok - limit) + other;
  record({
    goal: "G19",
    check: `flood: ${label}`,
    tried: `requests, 10 in flight, against a limit of ${limit}/min`,
    count: n,
    wrong,
    detail: `through=${ok} 429=${limited} other=${other}`,
  });
  expect({ ok, other }).toEqual({ ok: limit, other: 0 });
}

it("logins per client address: 20/min", async () => {
  await flood("logins per client address", 20, () => login("203.0.113.10"));
});

it("new orders per user: 10/min", async () => {
  const token = await freshSession("203.0.113.20");
  await flood("new orders per user", 10, () =>
    callJson(h.url, "POST", "/api/v1/orders", {
      token,
      body: { items: [{ productId: "red-envelope", quantity: 1 }] },
      headers: { "idempotency-key": idemKey() },
    }),
  );
});

it("verifies per user: 30/min", async () => {
  const token = await freshSession("203.0.113.30");
  const o = await callJson(h.url, "POST", "/api/v1/orders", {
    token,
    body: { items: [{ productId: "red-envelope", quantity: 1 }] },
    headers: { "idempotency-key": idemKey() },
  });
  expect(o.status).toBe(201);
  await flood("verifies per user", 30, () =>
    callJson(h.url, "POST", `/api/v1/orders/${o.body.id}/verify`, { token }),
  );
});

it("admin requests per key: 600/min", async () => {
  const { key } = await new ApiKeyService(h.deps).create(
    merchantIdFor(offlineMerchant().credentials.mchid),
    { name: "flood", scopes: ["products:read"] },
    CLI_ACTOR,
  );
  capture.secret("admin key", key);
  await flood("admin requests per key", 600, () =>
    callJson(h.url, "GET", `${ADMIN_PREFIX}/products`, { token: key }),
  );
});

/** A shopper's session, logged in from `ip` (behind the trusted proxy), so no flood's window is shared. */
async function freshSession(ip: string): Promise<string> {
  const r = await login(ip);
  if (r.status !== 200) throw new Error(`login refused: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token;
}

afterAll(() => {
  expect(scanAndRecord("floods", capture, h.logs)).toEqual([]);
});
