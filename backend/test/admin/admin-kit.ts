/**
 * What the admin suites share: a backend with two offline merchants (A and B, each with the demo
 * catalogue), keys made through the real service, and a JSON call with a bearer key.
 */
import type { AdminScope } from "@minipay/shared";
import { ADMIN_SCOPES } from "@minipay/shared";
import type { MerchantSeed } from "../../src/merchants/sources";
import { CLI_ACTOR } from "../../src/services/admin/actor";
import { ApiKeyService } from "../../src/services/admin/keys";
import { merchantIdFor, offlineMerchant, startHarness, type Harness } from "../helpers/harness";
import { makeUser } from "../helpers/orders";

export const merchantA = offlineMerchant();
export const merchantB: MerchantSeed = {
  ...offlineMerchant(),
  name: "second",
  credentials: { ...offlineMerchant().credentials, appid: "wx00000000000000bb", mchid: "1900000002" },
};
export const A = merchantIdFor(merchantA.credentials.mchid);
export const B = merchantIdFor(merchantB.credentials.mchid);

export interface AdminKit {
  h: Harness;
  /** A new key for `merchant` with `scopes` (every scope by default); returns the secret and id. */
  key(merchant: string, scopes?: readonly AdminScope[], name?: string): Promise<{ key: string; id: string }>;
  call(
    method: string,
    path: string,
    key: string | null,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  auditCount(merchant?: string): Promise<number>;
  close(): Promise<void>;
}

export async function startAdmin(opts: Parameters<typeof startHarness>[0] = {}): Promise<AdminKit> {
  const h = await startHarness({ merchants: [merchantA, merchantB], ...opts });
  const keys = new ApiKeyService(h.deps);
  return {
    h,
    async key(merchant, scopes = ADMIN_SCOPES, name = "test") {
      const k = await keys.create(merchant, { name, scopes }, CLI_ACTOR);
      return { key: k.key, id: k.id };
    },
    async call(method, path, key, body, headers = {}) {
      const res = await fetch(h.url + path, {
        method,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      const json = (res.headers.get("content-type") ?? "").includes("json");
      return {
        status: res.status,
        body: text && json ? JSON.parse(text) : text || null,
        headers: res.headers,
      };
    },
    async auditCount(merchant) {
      const [r] = await h.ds.query(
        `SELECT count(*)::int AS n FROM audit_log WHERE $1::text IS NULL OR merchant_id = $1`,
        [merchant ?? null],
      );
      return r.n;
    },
    close: () => h.close(),
  };
}

/** Record an anomaly the way settle does (same repository), for merchant `merchantId`. */
/** A kit and one key of `merchant` with `scopes`: what most admin suites start with. */
export async function startAdminWithKey(
  merchant: string,
  scopes: readonly AdminScope[],
): Promise<{ kit: AdminKit; key: string }> {
  const kit = await startAdmin();
  return { kit, key: (await kit.key(merchant, scopes)).key };
}

/** A kit, an orders:read key of merchant A and one of A's shoppers: the orders suites' start. */
export async function startOrdersReader(): Promise<{ kit: AdminKit; key: string; userA: string }> {
  const { kit, key } = await startAdminWithKey(A, ["orders:read"]);
  return { kit, key, userA: await makeUser(kit.h.db, A, merchantA.credentials.appid) };
}

export async function anomaly(h: Harness, merchantId: string, kind = "amount_mismatch"): Promise<string> {
  await h.db.repos.events.anomaly({
    merchantId,
    orderId: null,
    outTradeNo: `MP${Math.random().toString(16).slice(2, 12).toUpperCase()}`,
    kind,
    source: "notify",
    facts: { expectedFen: 100, notifiedFen: 1 },
  });
  const [r] = await h.ds.query(`SELECT max(id)::text AS id FROM anomalies WHERE merchant_id = $1`, [
    merchantId,
  ]);
  return r.id;
}

export const allBut = (scope: AdminScope): AdminScope[] => ADMIN_SCOPES.filter((s) => s !== scope);
