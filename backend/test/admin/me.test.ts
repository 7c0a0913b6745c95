/**
 * GET /admin/v1/me: any live key learns its own name, merchant and scopes (the console hides what
 * a key cannot use); no key, an unknown or a revoked key is 401, and nothing else leaks.
 */
import { ADMIN_PREFIX, AdminMe } from "@minipay/shared";
import { A, B, startAdmin, type AdminKit } from "./admin-kit";

let kit: AdminKit;
beforeAll(async () => {
  kit = await startAdmin();
});
afterAll(() => kit.close());

const ME = `${ADMIN_PREFIX}/me`;

describe("GET /admin/v1/me", () => {
  it("answers a key with one scope, and a key with all of them, for its own merchant", async () => {
    const narrow = await kit.key(A, ["reports:read"], "reports only");
    const res = await kit.call("GET", ME, narrow.key);
    expect(res.status).toBe(200);
    const me = AdminMe.parse(res.body);
    expect(me).toEqual({
      keyId: narrow.id,
      keyName: "reports only",
      merchantId: A,
      merchantName: expect.any(String),
      scopes: ["reports:read"],
    });
    expect(JSON.stringify(res.body)).not.toContain(narrow.key.slice(11));
    expect(res.headers.get("cache-control")).toBe("no-store");

    const wide = await kit.key(B);
    const other = AdminMe.parse((await kit.call("GET", ME, wide.key)).body);
    expect(other.merchantId).toBe(B);
    expect(other.scopes.length).toBeGreaterThan(5);
  });

  it("refuses no key, a made-up key and a revoked key with 401", async () => {
    const k = await kit.key(A, ["orders:read"]);
    const root = await kit.key(A);
    expect((await kit.call("DELETE", `${ADMIN_PREFIX}/keys/${k.id}`, root.key)).status).toBe(204);
    for (const key of [null, "mk_" + "A".repeat(43), k.key]) {
      const res = await kit.call("GET", ME, key);
      expect([res.status, res.body.error.code]).toEqual([401, "UNAUTHENTICATED"]);
    }
  });
});
