/**
 * API keys: shown once, stored as a SHA-256 hash with a visible prefix, revocation effective on
 * the very next request, no key handing out more than it holds, last use noted at most once a
 * minute, and another merchant's key invisible.
 */
import crypto from "node:crypto";
import { ADMIN_PREFIX, ApiKeyCreated, ApiKeyList } from "@minipay/shared";
import { A, B, startAdmin, type AdminKit } from "./admin-kit";

let kit: AdminKit;
let clock = 0;
beforeAll(async () => {
  kit = await startAdmin({ now: () => new Date(Date.now() + clock) });
});
afterAll(() => kit.close());

const KEYS = `${ADMIN_PREFIX}/keys`;

describe("admin API keys", () => {
  it("are shown once at creation and stored only as a hash", async () => {
    const { key: root } = await kit.key(A);
    const res = await kit.call("POST", KEYS, root, {
      name: "shop floor",
      scopes: ["orders:read", "orders:read"],
    });
    expect(res.status).toBe(201);
    const created = ApiKeyCreated.parse(res.body);
    expect(created).toMatchObject({ name: "shop floor", scopes: ["orders:read"] });

    const list = ApiKeyList.parse((await kit.call("GET", KEYS, root)).body);
    const listed = list.keys.find((k) => k.id === created.id)!;
    expect(listed).toMatchObject({ prefix: created.key.slice(0, 11), revokedAt: null });
    expect(JSON.stringify(list)).not.toContain(created.key);
    expect(JSON.stringify(list)).not.toContain(created.key.slice(11));

    // Nowhere in the database: not in the keys table, not in the audit log.
    const dump = JSON.stringify([
      await kit.h.ds.query(`SELECT * FROM api_keys`),
      await kit.h.ds.query(`SELECT * FROM audit_log`),
    ]);
    expect(dump).not.toContain(created.key.slice(3));
    const [row] = await kit.h.ds.query(`SELECT secret_hash FROM api_keys WHERE id = $1`, [created.id]);
    expect(row.secret_hash).toBe(crypto.createHash("sha256").update(created.key).digest("hex"));

    // The logs name the key by its prefix, never by the secret.
    const logs = kit.h.logs.join("");
    expect(logs).not.toContain(created.key.slice(11));
    expect(logs).not.toContain(root.slice(11));
    // The new key works for its scope only.
    expect((await kit.call("GET", `${ADMIN_PREFIX}/anomalies`, created.key)).status).toBe(200);
    expect((await kit.call("GET", KEYS, created.key)).status).toBe(403);
    expect(kit.h.logs.join("")).toContain(`"key":"${created.key.slice(0, 11)}"`);
  });

  it("revocation applies to the next request; a second revoke changes nothing", async () => {
    const { key: root } = await kit.key(A);
    const victim = await kit.key(A, ["products:read"]);
    expect((await kit.call("GET", `${ADMIN_PREFIX}/products`, victim.key)).status).toBe(200);
    const before = await kit.auditCount(A);
    expect((await kit.call("DELETE", `${KEYS}/${victim.id}`, root)).status).toBe(204);
    const after = await kit.call("GET", `${ADMIN_PREFIX}/products`, victim.key);
    expect([after.status, after.body.error.code]).toEqual([401, "UNAUTHENTICATED"]);
    expect((await kit.call("DELETE", `${KEYS}/${victim.id}`, root)).status).toBe(204);
    expect(await kit.auditCount(A)).toBe(before + 1);
    const listed = (await kit.call("GET", KEYS, root)).body.keys.find((k: any) => k.id === victim.id);
    expect(listed.revokedAt).not.toBeNull();
  });

  it("a key may revoke itself, and is refused from then on", async () => {
    const self = await kit.key(A, ["keys:write"]);
    expect((await kit.call("DELETE", `${KEYS}/${self.id}`, self.key)).status).toBe(204);
    expect((await kit.call("GET", KEYS, self.key)).status).toBe(401);
  });

  it("a key cannot make a key with scopes it does not hold", async () => {
    const limited = await kit.key(A, ["keys:write", "orders:read"]);
    const res = await kit.call("POST", KEYS, limited.key, {
      name: "x",
      scopes: ["orders:read", "refunds:write"],
    });
    expect(res.status).toBe(403);
    expect(res.body.error.details).toEqual({ requiredScope: "refunds:write" });
    const ok = await kit.call("POST", KEYS, limited.key, { name: "x", scopes: ["orders:read"] });
    expect(ok.status).toBe(201);
  });

  it("refuses bad requests with VALIDATION_FAILED", async () => {
    const { key } = await kit.key(A);
    for (const body of [
      { name: "", scopes: ["orders:read"] },
      { name: "x", scopes: [] },
      { name: "x", scopes: ["root"] },
      { name: "x", scopes: ["orders:read"], extra: 1 },
    ]) {
      const res = await kit.call("POST", KEYS, key, body);
      expect([res.status, res.body.error.code]).toEqual([400, "VALIDATION_FAILED"]);
    }
    expect((await kit.call("DELETE", `${KEYS}/not-a-uuid`, key)).status).toBe(404);
  });

  it("another merchant's key cannot be revoked (404) and is not listed", async () => {
    const other = await kit.key(B);
    const { key } = await kit.key(A);
    const res = await kit.call("DELETE", `${KEYS}/${other.id}`, key);
    expect([res.status, res.body.error.code]).toEqual([404, "RESOURCE_NOT_FOUND"]);
    expect((await kit.call("GET", KEYS, other.key)).status).toBe(200);
  });

  it("notes the last use at most once a minute", async () => {
    const k = await kit.key(A, ["products:read"]);
    const lastUsed = async () =>
      (await kit.h.ds.query(`SELECT last_used_at FROM api_keys WHERE id = $1`, [k.id]))[0].last_used_at;
    expect(await lastUsed()).toBeNull();
    await kit.call("GET", `${ADMIN_PREFIX}/products`, k.key);
    const first = await lastUsed();
    expect(first).not.toBeNull();
    clock += 30_000;
    await kit.call("GET", `${ADMIN_PREFIX}/products`, k.key);
    expect(await lastUsed()).toEqual(first);
    clock += 31_000;
    await kit.call("GET", `${ADMIN_PREFIX}/products`, k.key);
    expect((await lastUsed()).getTime()).toBeGreaterThan(first.getTime());
  });
});
