/**
 * Anomalies through the admin API: the merchant's own, filtered by kind and resolution, in keyset
 * pages newest first; resolved once, with a note and an audit row; a second resolve is a 409.
 */
import { ADMIN_PREFIX, AnomalyPage } from "@minipay/shared";
import { A, B, anomaly, startAdminWithKey, type AdminKit } from "./admin-kit";

let kit: AdminKit;
let key: string;
beforeAll(async () => ({ kit, key } = await startAdminWithKey(A, ["orders:read", "orders:write"])));
afterAll(() => kit.close());

const list = async (q = "") => {
  const res = await kit.call("GET", `${ADMIN_PREFIX}/anomalies${q}`, key);
  expect(res.status).toBe(200);
  return AnomalyPage.parse(res.body);
};
const resolve = (id: string, note = "checked with WeChat") =>
  kit.call("POST", `${ADMIN_PREFIX}/anomalies/${id}/resolve`, key, { note });

describe("admin anomalies", () => {
  let ids: string[];
  beforeAll(async () => {
    ids = [];
    for (const kind of ["amount_mismatch", "duplicate_payment", "amount_mismatch", "paid_after_close"])
      ids.push(await anomaly(kit.h, A, kind));
    await anomaly(kit.h, B, "amount_mismatch");
  });

  it("lists the merchant's own, newest first, with filters", async () => {
    const all = await list();
    expect(all.anomalies.map((a) => a.id)).toEqual([...ids].reverse());
    expect(all.nextCursor).toBeNull();
    expect(all.anomalies[0]).toMatchObject({ kind: "paid_after_close", source: "notify", resolvedAt: null });
    expect((await list("?kind=amount_mismatch")).anomalies.map((a) => a.id)).toEqual([ids[2], ids[0]]);
    expect((await list("?resolved=true")).anomalies).toEqual([]);
  });

  it("pages with a cursor", async () => {
    const first = await list("?limit=3");
    expect(first.anomalies).toHaveLength(3);
    const second = await list(`?limit=3&cursor=${first.nextCursor}`);
    expect(second.anomalies.map((a) => a.id)).toEqual([ids[0]]);
    expect(second.nextCursor).toBeNull();
  });

  it("resolves once with a note; a second resolve is 409 ANOMALY_ALREADY_RESOLVED", async () => {
    const before = await kit.auditCount(A);
    const ok = await resolve(ids[1]!, "refunded the second payment");
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id: ids[1], resolutionNote: "refunded the second payment" });
    expect(ok.body.resolvedAt).not.toBeNull();
    const again = await resolve(ids[1]!);
    expect([again.status, again.body.error.code]).toEqual([409, "ANOMALY_ALREADY_RESOLVED"]);
    expect(await kit.auditCount(A)).toBe(before + 1);
    expect((await list("?resolved=true")).anomalies.map((a) => a.id)).toEqual([ids[1]]);
    expect((await list("?resolved=false")).anomalies.map((a) => a.id)).not.toContain(ids[1]);
  });

  it("two people resolving at once: one wins, one gets 409", async () => {
    const [x, y] = await Promise.all([resolve(ids[3]!, "one"), resolve(ids[3]!, "two")]);
    expect([x.status, y.status].sort()).toEqual([200, 409]);
    const [n] = await kit.h.ds.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'anomaly.resolve' AND target_id = $1`,
      [ids[3]],
    );
    expect(n.n).toBe(1);
  });

  it("unknown ids, another merchant's and bad input", async () => {
    const [b] = await kit.h.ds.query(`SELECT id::text FROM anomalies WHERE merchant_id = $1`, [B]);
    for (const id of [b.id, "999999", "abc", "0"]) {
      const r = await resolve(id);
      expect([r.status, r.body.error.code]).toEqual([404, "RESOURCE_NOT_FOUND"]);
    }
    for (const body of [{}, { note: "" }, { note: "x", extra: 1 }]) {
      const r = await kit.call("POST", `${ADMIN_PREFIX}/anomalies/${ids[0]}/resolve`, key, body);
      expect([r.status, r.body.error.code]).toEqual([400, "VALIDATION_FAILED"]);
    }
    for (const q of ["?resolved=maybe", "?kind=DROP%20TABLE", "?limit=0", "?cursor=zzz"]) {
      const r = await kit.call("GET", `${ADMIN_PREFIX}/anomalies${q}`, key);
      expect([r.status, r.body.error.code]).toEqual([400, "VALIDATION_FAILED"]);
    }
  });
});
