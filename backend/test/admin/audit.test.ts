/**
 * The audit log: one row per admin change, with before/after, the acting key and the request id,
 * in the change's own transaction (a failed change leaves no row; a failed row undoes the change);
 * the table refuses UPDATE, DELETE and TRUNCATE; GET /audit pages newest first.
 */
import { ADMIN_PREFIX, AuditPage } from "@minipay/shared";
import type { Db } from "../../src/db/repositories";
import { CLI_ACTOR } from "../../src/services/admin/actor";
import { AdminProductService } from "../../src/services/admin/products";
import { A, B, anomaly, startAdmin, type AdminKit } from "./admin-kit";

let kit: AdminKit;
beforeAll(async () => {
  kit = await startAdmin();
});
afterAll(() => kit.close());

const latest = async () => (await kit.h.ds.query(`SELECT * FROM audit_log ORDER BY id DESC LIMIT 1`))[0];

describe("audit rows", () => {
  it("one row per change, with before, after, actor and request id", async () => {
    const root = await kit.key(A, undefined, "ops");
    const rid = "req-audit-0001";
    const steps: [string, string, unknown, string, unknown, unknown][] = [
      [
        "POST",
        "/products",
        { id: "kettle", name: "Kettle", priceFen: 5000, stock: 3 },
        "product.create",
        null,
        expect.objectContaining({ id: "kettle", priceFen: 5000, stock: 3, active: true }),
      ],
      [
        "PATCH",
        "/products/kettle",
        { priceFen: 4500 },
        "product.update",
        { priceFen: 5000 },
        { priceFen: 4500 },
      ],
      [
        "POST",
        "/products/kettle/stock",
        { delta: -2, reason: "broken in storage" },
        "product.stock",
        { stock: 3 },
        { stock: 1, delta: -2, reason: "broken in storage" },
      ],
      [
        "POST",
        "/keys",
        { name: "reader", scopes: ["orders:read"] },
        "api_key.create",
        null,
        expect.objectContaining({ name: "reader", scopes: ["orders:read"] }),
      ],
    ];
    for (const [method, path, body, action, before, after] of steps) {
      const n = await kit.auditCount();
      const res = await kit.call(method, ADMIN_PREFIX + path, root.key, body, { "x-request-id": rid });
      expect(res.status).toBeLessThan(300);
      expect(await kit.auditCount()).toBe(n + 1);
      const row = await latest();
      expect(row).toMatchObject({
        merchant_id: A,
        actor_key_id: root.id,
        actor_key_name: "ops",
        action,
        request_id: rid,
        before,
        after,
      });
    }
    const reader = (await latest()).target_id;
    await kit.call("DELETE", `${ADMIN_PREFIX}/keys/${reader}`, root.key);
    expect(await latest()).toMatchObject({
      action: "api_key.revoke",
      target_type: "api_key",
      target_id: reader,
    });
    const id = await anomaly(kit.h, A);
    await kit.call("POST", `${ADMIN_PREFIX}/anomalies/${id}/resolve`, root.key, { note: "refunded by hand" });
    expect(await latest()).toMatchObject({
      action: "anomaly.resolve",
      target_id: id,
      before: { resolvedAt: null },
      after: { resolutionNote: "refunded by hand" },
    });
  });

  it("a refused change writes no row", async () => {
    const { key } = await kit.key(A);
    const n = await kit.auditCount();
    await kit.call("POST", `${ADMIN_PREFIX}/products`, key, {
      id: "mooncake",
      name: "dup",
      priceFen: 1,
      stock: 1,
    });
    await kit.call("POST", `${ADMIN_PREFIX}/products/mooncake/stock`, key, { delta: -1e6, reason: "x" });
    await kit.call("PATCH", `${ADMIN_PREFIX}/products/mooncake`, key, { priceFen: -1 });
    expect(await kit.auditCount()).toBe(n);
  });

  it("the change and its row commit together: a failing audit insert undoes the change", async () => {
    const failing: Db = {
      ...kit.h.db,
      transaction: (fn) =>
        kit.h.db.transaction((r) =>
          fn({
            ...r,
            audit: {
              append: async () => {
                throw new Error("audit insert failed");
              },
            } as unknown as typeof r.audit,
          }),
        ),
    };
    const svc = new AdminProductService({ ...kit.h.deps, db: failing });
    await expect(
      svc.create(
        A,
        { id: "ghost", name: "Ghost", description: "", priceFen: 1, stock: 1, active: true },
        CLI_ACTOR,
      ),
    ).rejects.toThrow("audit insert failed");
    await expect(svc.adjustStock(A, "mooncake", { delta: 5, reason: "x" }, CLI_ACTOR)).rejects.toThrow();
    expect(await kit.h.ds.query(`SELECT 1 FROM products WHERE id = 'ghost'`)).toEqual([]);
    const [m] = await kit.h.ds.query(
      `SELECT stock FROM products WHERE merchant_id = $1 AND id = 'mooncake'`,
      [A],
    );
    expect(m.stock).toBe(200);
  });

  it("the table refuses UPDATE, DELETE and TRUNCATE", async () => {
    expect(await kit.auditCount()).toBeGreaterThan(0);
    const n = await kit.auditCount();
    for (const sql of [
      `UPDATE audit_log SET action = 'nothing happened'`,
      `UPDATE audit_log SET after = NULL WHERE id = (SELECT min(id) FROM audit_log)`,
      `DELETE FROM audit_log`,
      `DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)`,
      `TRUNCATE audit_log`,
    ])
      await expect(kit.h.ds.query(sql)).rejects.toThrow(/append-only/);
    expect(await kit.auditCount()).toBe(n);
    expect(await kit.h.ds.query(`SELECT 1 FROM audit_log WHERE action = 'nothing happened'`)).toEqual([]);
  });
});

describe("GET /admin/v1/audit", () => {
  it("pages newest first, each entry in the contract's shape, the key's merchant only", async () => {
    const { key } = await kit.key(B, undefined, "b-ops");
    for (let i = 0; i < 5; i++)
      await kit.call("POST", `${ADMIN_PREFIX}/products`, key, {
        id: `b-${i}`,
        name: `B ${i}`,
        priceFen: 1,
        stock: 1,
      });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const res = await kit.call("GET", `${ADMIN_PREFIX}/audit${q}`, key);
      expect(res.status).toBe(200);
      const page = AuditPage.parse(res.body);
      seen.push(...page.entries.map((e) => e.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    const all = await kit.h.ds.query(
      `SELECT id::text AS id FROM audit_log WHERE merchant_id = $1 ORDER BY audit_log.id DESC`,
      [B],
    );
    expect(seen).toEqual(all.map((r: any) => r.id));
    expect(pages).toBe(Math.ceil(all.length / 2));
    const first = AuditPage.parse((await kit.call("GET", `${ADMIN_PREFIX}/audit?limit=1`, key)).body)
      .entries[0]!;
    expect(first).toMatchObject({
      action: "product.create",
      actor: { keyName: "b-ops" },
      target: { type: "product", id: "b-4" },
      before: null,
    });
  });

  it("refuses a cursor it did not issue", async () => {
    const { key } = await kit.key(A);
    for (const c of ["abc", "aWQ6MCBPUiAxPTE", "%27"]) {
      const res = await kit.call("GET", `${ADMIN_PREFIX}/audit?cursor=${c}`, key);
      expect([res.status, res.body.error.code]).toEqual([400, "VALIDATION_FAILED"]);
    }
  });
});
