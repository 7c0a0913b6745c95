/**
 * The merchant's order list and one order's detail: filters, newest first, keyset pages that stay
 * correct while orders arrive, only the merchant's own orders, only cursors the server issued.
 */
import { ADMIN_PREFIX, AdminOrderDetail, AdminOrderPage } from "@minipay/shared";
import { makeOrder, makeUser } from "../helpers/orders";
import { A, B, anomaly, merchantB, startOrdersReader, type AdminKit } from "./admin-kit";

let kit: AdminKit;
let key: string;
let userA: string;
beforeAll(async () => ({ kit, key, userA } = await startOrdersReader()));
afterAll(() => kit.close());

const O = `${ADMIN_PREFIX}/orders`;
const list = async (q = "") => {
  const res = await kit.call("GET", `${O}${q}`, key);
  expect([res.status, res.body?.error]).toEqual([200, undefined]);
  return AdminOrderPage.parse(res.body);
};
const order = (state?: "paying" | "paid" | "closed", productId = "mooncake", quantity = 1, now?: Date) =>
  makeOrder(kit.h.db, { merchantId: A, userId: userA, productId, quantity, state, now });

/** Walk every page with `limit`, calling `between` after each page. */
async function walk(q: string, limit: number, between: () => Promise<void> = async () => {}) {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 10_000; i++) {
    const page: AdminOrderPage = await list(
      `?limit=${limit}${q}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    seen.push(...page.orders.map((o) => o.id));
    await between();
    cursor = page.nextCursor;
    if (!cursor) return seen;
  }
  throw new Error("never ended");
}

describe("admin orders: list", () => {
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    const t0 = Date.parse("2026-03-01T00:00:00.000Z");
    ids.created = (await order(undefined, "mooncake", 1, new Date(t0))).id;
    ids.paying = (await order("paying", "mooncake", 2, new Date(t0 + 60_000))).id;
    ids.paid = (await order("paid", "mooncake", 3, new Date(t0 + 120_000))).id;
    ids.closed = (await order("closed", "mooncake", 1, new Date(t0 + 180_000))).id;
    const userB = await makeUser(kit.h.db, B, merchantB.credentials.appid);
    ids.b = (
      await makeOrder(kit.h.db, { merchantId: B, userId: userB, productId: "mooncake", quantity: 1 })
    ).id;
  });

  it("lists the merchant's own, newest first, with the default limit", async () => {
    const all = await list();
    expect(all.orders.map((o) => o.id)).toEqual([ids.closed, ids.paid, ids.paying, ids.created]);
    expect(all.nextCursor).toBeNull();
    expect(all.orders[0]).toMatchObject({ state: "closed", userId: userA, currency: "CNY" });
  });

  it("filters by state (repeatable), times, amounts, numbers and user", async () => {
    const idsOf = async (q: string) => (await list(q)).orders.map((o) => o.id);
    expect(await idsOf("?state=paid")).toEqual([ids.paid]);
    expect(await idsOf("?state=paid&state=created")).toEqual([ids.paid, ids.created]);
    expect(await idsOf("?createdFrom=2026-03-01T00:01:00Z&createdTo=2026-03-01T00:03:00Z")).toEqual([
      ids.paid,
      ids.paying,
    ]);
    const [paid] = (await list("?state=paid")).orders;
    const fen = paid!.totalFen;
    expect(await idsOf(`?minFen=${fen}&maxFen=${fen}`)).toEqual([ids.paid]);
    expect(await idsOf(`?minFen=${fen + 1}`)).toEqual([]);
    expect(await idsOf(`?outTradeNo=${paid!.outTradeNo}`)).toEqual([ids.paid]);
    await kit.h.ds.query(
      `UPDATE orders SET transaction_id = '4200000001', paid_at = '2026-03-02T00:00:00Z' WHERE id = $1`,
      [ids.paid],
    );
    expect(await idsOf("?transactionId=4200000001")).toEqual([ids.paid]);
    expect(await idsOf("?paidFrom=2026-03-02T08:00:01%2B08:00&paidTo=2026-03-03T00:00:00Z")).toEqual([]);
    expect(await idsOf("?paidFrom=2026-03-01T23:00:00Z&paidTo=2026-03-03T00:00:00Z")).toEqual([ids.paid]);
    expect(await idsOf(`?userId=${userA}&state=closed`)).toEqual([ids.closed]);
    expect(await idsOf(`?userId=00000000-0000-4000-8000-000000000000`)).toEqual([]);
  });

  it("refuses bad filters and cursors it did not issue", async () => {
    const forged = Buffer.from(JSON.stringify({ t: "2026-03-01T00:00:00.000Z", id: "x' OR 1=1" })).toString(
      "base64url",
    );
    for (const q of [
      "?state=lost",
      "?limit=0",
      "?limit=101",
      "?createdFrom=yesterday",
      "?minFen=-1",
      "?minFen=1.5",
      "?outTradeNo=a%27b",
      "?userId=1",
      "?cursor=zzz",
      `?cursor=${forged}`,
    ]) {
      const r = await kit.call("GET", `${O}${q}`, key);
      expect([q, r.status, r.body.error.code]).toEqual([q, 400, "VALIDATION_FAILED"]);
    }
  });

  it("a walk through all pages returns every order once while new orders arrive", async () => {
    const { id: userBulk } = (
      await kit.h.ds.query(`SELECT user_id AS id FROM orders WHERE id = $1`, [ids.created])
    )[0];
    await kit.h.ds.query(
      `INSERT INTO orders (user_id, merchant_id, out_trade_no, state, total_fen, description, idempotency_key,
         request_hash, expires_at, created_at, updated_at)
       SELECT $1, $2, 'BULK' || g, 'expired', 100 + g, 'bulk', 'bulk-' || g, 'h', now(),
         -- many share a timestamp, so the id breaks ties
         timestamptz '2026-02-01Z' + (g / 7) * interval '1 second', now()
       FROM generate_series(1, 500) g`,
      [userBulk, A],
    );
    const before = (await kit.h.ds.query(`SELECT id FROM orders WHERE merchant_id = $1`, [A])).map(
      (r: { id: string }) => r.id,
    );
    const arrived: string[] = [];
    const seen = await walk("", 37, async () => {
      // Two new orders arrive between every two pages, concurrently with the next page's read.
      arrived.push(...(await Promise.all([order(), order()])).map((o) => o.id));
    });
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => before.includes(id)).sort()).toEqual([...before].sort());
    expect(seen.every((id) => before.includes(id) || arrived.includes(id))).toBe(true);
    const again = await walk("&state=expired", 100);
    expect(again).toHaveLength(500);
  });

  it("a deep page uses the merchant's keyset index, never a scan with OFFSET", async () => {
    await kit.h.ds.query(`ANALYZE orders`);
    const explain = async () =>
      (
        await kit.h.ds.query(
          `EXPLAIN SELECT * FROM orders WHERE merchant_id = $1 AND (created_at, id) < ($2::timestamptz, $3::uuid)
           ORDER BY created_at DESC, id DESC LIMIT 21`,
          [A, "2026-02-01T00:00:30Z", "00000000-0000-4000-8000-000000000000"],
        )
      )
        .map((r: Record<string, string>) => Object.values(r)[0])
        .join("\n");
    const plan = await explain();
    // The planner may still prefer a small table's seq scan; force the index question.
    await kit.h.ds.query(`SET enable_seqscan = off`);
    const forced = await explain();
    await kit.h.ds.query(`SET enable_seqscan = on`);
    expect(plan + forced).toContain("orders_merchant_created_idx");
    expect(forced).not.toMatch(/Sort/);
  });

  it("another merchant's key sees only its own orders", async () => {
    const keyB = (await kit.key(B, ["orders:read"])).key;
    const r = await kit.call("GET", O, keyB);
    expect(r.body.orders.map((o: { id: string }) => o.id)).toEqual([ids.b]);
  });

  it("one order: items, full timeline with sources, attempts, numbers, anomalies", async () => {
    await kit.h.ds.query(
      `INSERT INTO anomalies (merchant_id, order_id, out_trade_no, kind, source, facts) VALUES ($1, $2, 'X', 'amount_mismatch', 'notify', '{}')`,
      [A, ids.paid],
    );
    await anomaly(kit.h, A); // not this order's
    const r = await kit.call("GET", `${O}/${ids.paid}`, key);
    expect(r.status).toBe(200);
    const d = AdminOrderDetail.parse(r.body);
    expect(d).toMatchObject({ id: ids.paid, state: "paid", transactionId: "4200000001" });
    expect(d.items).toEqual([expect.objectContaining({ productId: "mooncake", quantity: 3 })]);
    expect(d.events.map((e) => [e.type, e.from, e.to, e.source])).toEqual([
      ["transition", "created", "paying", "api"],
      ["transition", "paying", "paid", "api"],
    ]);
    expect(d.anomalies.map((a) => a.kind)).toEqual(["amount_mismatch"]);
    expect(d.attempts).toEqual([]);
    expect(d.tradeNumbers).toEqual([]);
    for (const id of [ids.b, "00000000-0000-4000-8000-000000000000", "abc"]) {
      const miss = await kit.call("GET", `${O}/${id}`, key);
      expect([miss.status, miss.body.error.code]).toEqual([404, "RESOURCE_NOT_FOUND"]);
    }
  });
});
