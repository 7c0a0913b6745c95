/**
 * Merchant-API orders beside the shop's: the admin list, detail, CSV export and daily report show
 * them (no shopper, no lines, source merchant_api) next to a shop order, and the schema keeps the
 * two kinds apart (a shop order without its shopper, or a merchant-API order with one, is refused).
 */
import { eventually, idemKey, payingOrder, useSandbox, useStack } from "../helpers/sandbox-stack";
import { callJson } from "../helpers/http";
import { createOrder, keyFor, merchantCall, orderNo } from "./kit";

const sandbox = useSandbox();
const stack = useStack(sandbox, "v3-platform-cert");

it("list, detail, CSV and the daily report include both kinds", async () => {
  const key = await keyFor(stack, stack.merchant);
  const admin = (p: string) => callJson(stack.h.url, "GET", p, { token: key });
  const shop = await payingOrder(stack);
  const body = { merchantOrderNo: orderNo(), amountFen: 777, description: "=SUM(A1) 充值", method: "native" };
  const mine = await createOrder(merchantCall(stack, key), body, idemKey());
  expect(mine.status).toBe(201);
  await stack.sb.pay({ code_url: mine.body.payment.codeUrl, outcome: "SUCCESS" });

  const list = await admin("/admin/v1/orders?limit=10");
  expect(list.status).toBe(200);
  const byId = new Map(list.body.orders.map((o: any) => [o.id, o]));
  expect(byId.get(shop.order.id)).toMatchObject({ source: "shop", userId: expect.any(String) });
  expect(byId.get(mine.body.orderId)).toMatchObject({ source: "merchant_api", userId: null, totalFen: 777 });
  const filtered = await admin(`/admin/v1/orders?userId=${(byId.get(shop.order.id) as any).userId}`);
  expect(filtered.body.orders.map((o: any) => o.id)).toEqual([shop.order.id]);

  const csv = await fetch(`${stack.h.url}/admin/v1/orders.csv`, {
    headers: { authorization: `Bearer ${key}` },
  });
  expect(csv.status).toBe(200);
  const lines = (await csv.text()).split("\r\n");
  const row = lines.find((l) => l.startsWith(mine.body.orderId))!;
  expect(row).toContain(",777,7.77,");
  expect(row).toContain("'=SUM(A1) 充值"); // neutralised like any description
  expect(row).toMatch(/'=SUM\(A1\) 充值,,/); // empty user_id
  expect(lines.some((l) => l.startsWith(shop.order.id))).toBe(true);

  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  const report = await eventually(async () => {
    const r = await admin(`/admin/v1/reports/daily?from=${today}&to=${today}`);
    return r.body.days[0].paidCount >= 1 ? r.body : null;
  }, 15_000);
  expect(report.days[0].ordersByState.paying).toBeGreaterThanOrEqual(1); // the shop order
  expect(report.days[0].paidFen).toBeGreaterThanOrEqual(777);
});

it("the schema refuses a shop order without a shopper and a merchant-API order with one", async () => {
  const insert = (userId: string | null, source: string) =>
    stack.h.ds.query(
      `INSERT INTO orders (user_id, merchant_id, out_trade_no, state, total_fen, description, idempotency_key,
         request_hash, expires_at, source)
       VALUES ($1, $2, $3, 'created', 1, 'x', $4, 'h', now() + interval '1 hour', $5)`,
      [userId, stack.merchantId, "MPX" + Math.random().toString(16).slice(2, 12), idemKey(), source],
    );
  await expect(insert(null, "shop")).rejects.toThrow(/orders_source_user_ck/);
  const [u] = await stack.h.ds.query(`SELECT id FROM users LIMIT 1`);
  await expect(insert(u.id, "merchant_api")).rejects.toThrow(/orders_source_user_ck/);
  await expect(insert(null, "elsewhere")).rejects.toThrow(/orders_source_ck/);
});
