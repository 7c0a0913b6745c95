/**
 * The daily report: days are Asia/Shanghai days (a minute before local midnight is the day before),
 * orders counted by the day they were made, payments by the day they were paid, the merchant's own.
 */
import { ADMIN_PREFIX, DailyReport } from "@minipay/shared";
import { makeUser } from "../helpers/orders";
import { A, B, merchantA, merchantB, startAdmin, type AdminKit } from "./admin-kit";

let kit: AdminKit;
let key: string;
beforeAll(async () => {
  kit = await startAdmin();
  key = (await kit.key(A, ["reports:read"])).key;
  const userA = await makeUser(kit.h.db, A, merchantA.credentials.appid);
  const userB = await makeUser(kit.h.db, B, merchantB.credentials.appid);
  const rows: [string, string, string, number, number, string, string | null][] = [
    [userA, A, "expired", 500, 0, "2026-03-09T15:59:59Z", null], // local 03-09 23:59:59
    [userA, A, "paid", 1000, 0, "2026-03-09T16:00:00Z", "2026-03-09T16:05:00Z"], // local 03-10 00:00
    [userA, A, "partially_refunded", 2000, 500, "2026-03-10T10:00:00Z", "2026-03-10T15:59:59Z"],
    [userA, A, "paid", 300, 0, "2026-03-10T15:00:00Z", "2026-03-10T16:30:00Z"], // paid local 03-11 00:30
    [userB, B, "paid", 9900, 0, "2026-03-10T10:00:00Z", "2026-03-10T10:01:00Z"], // another merchant
  ];
  for (const [i, [u, m, state, fen, refunded, created, paid]] of rows.entries())
    await kit.h.ds.query(
      `INSERT INTO orders (user_id, merchant_id, out_trade_no, state, total_fen, refunded_fen, description,
         idempotency_key, request_hash, expires_at, created_at, updated_at, paid_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'r', $3, 'h', $7, $7, $7, $8)`,
      [u, m, `REP${i}`, state, fen, refunded, created, paid],
    );
});
afterAll(() => kit.close());

const report = (q: string) => kit.call("GET", `${ADMIN_PREFIX}/reports/daily${q}`, key);

describe("admin daily report", () => {
  it("counts per Asia/Shanghai day: orders by state, paid count and amount, refunded, net", async () => {
    const r = await report("?from=2026-03-09&to=2026-03-11");
    expect(r.status).toBe(200);
    const rep = DailyReport.parse(r.body);
    expect(rep.timeZone).toBe("Asia/Shanghai");
    expect(rep.days.map((d) => d.date)).toEqual(["2026-03-09", "2026-03-10", "2026-03-11"]);
    const [d9, d10, d11] = rep.days;
    expect(d9!.ordersByState).toMatchObject({ expired: 1, paid: 0, created: 0 });
    expect(d9).toMatchObject({ paidCount: 0, paidFen: 0, refundedFen: 0, netFen: 0 });
    expect(d10!.ordersByState).toMatchObject({ paid: 2, partially_refunded: 1, expired: 0 });
    expect(d10).toMatchObject({ paidCount: 2, paidFen: 3000, refundedFen: 500, netFen: 2500 });
    expect(Object.values(d11!.ordersByState).every((n) => n === 0)).toBe(true);
    expect(d11).toMatchObject({ paidCount: 1, paidFen: 300, refundedFen: 0, netFen: 300 });
  });

  it("one day, and empty days are zeros", async () => {
    const rep = DailyReport.parse((await report("?from=2026-01-01&to=2026-01-01")).body);
    expect(rep.days).toEqual([expect.objectContaining({ date: "2026-01-01", paidCount: 0, netFen: 0 })]);
  });

  it("refuses bad ranges", async () => {
    for (const q of [
      "",
      "?from=2026-03-09",
      "?from=2026-03-10&to=2026-03-09",
      "?from=2026-02-30&to=2026-03-01",
      "?from=2026-3-1&to=2026-03-02",
      "?from=2025-01-01&to=2026-03-01",
      "?from=2026-03-01T00:00:00Z&to=2026-03-02",
    ]) {
      const r = await report(q);
      expect([q, r.status, r.body.error.code]).toEqual([q, 400, "VALIDATION_FAILED"]);
    }
  });
});
