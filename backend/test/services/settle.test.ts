/**
 * settle ("apply WeChat's truth") over the real repositories and a real database: the decisions of
 * the domain table applied once, anomalies recorded without moving money, and a late payment on an
 * order whose stock went back taking the stock again or saying it cannot.
 */
import type { TradeFacts } from "../../src/wechat/types";
import { settle } from "../../src/services/settle";
import { releaseStock, transition } from "../../src/services/transition";
import { merchantIdFor, offlineMerchant, startHarness, type Harness } from "../helpers/harness";
import { makeOrder, makeUser } from "../helpers/orders";

const seed = offlineMerchant();
const m = {
  id: merchantIdFor(seed.credentials.mchid),
  appid: seed.credentials.appid,
  mchid: seed.credentials.mchid,
};
let h: Harness;
let userId: string;
beforeAll(async () => {
  h = await startHarness({});
  userId = await makeUser(h.db, m.id, m.appid);
});
afterAll(() => h.close());

const facts = (outTradeNo: string, over: Partial<TradeFacts> = {}): TradeFacts => ({
  appid: m.appid,
  mchid: m.mchid,
  outTradeNo,
  transactionId: `4200${Date.now()}${Math.floor(Math.random() * 1e6)}`,
  tradeState: "SUCCESS",
  totalFen: 6800,
  currency: "CNY",
  payerOpenid: null,
  successTime: new Date("2026-11-25T02:00:00Z"),
  tradeStateDesc: null,
  ...over,
});
/** A paying order of this file's shopper. */
const paying = (productId: string, quantity: number) =>
  makeOrder(h.db, { merchantId: m.id, userId, productId, quantity, state: "paying" });
const row = async (id: string) =>
  (await h.ds.query(`SELECT state, stock_released, transaction_id FROM orders WHERE id = $1`, [id]))[0];
const stock = async (productId: string): Promise<number> =>
  (await h.ds.query(`SELECT stock FROM products WHERE merchant_id = $1 AND id = $2`, [m.id, productId]))[0]
    .stock;
const anomalyKinds = async (orderId: string) =>
  (await h.ds.query(`SELECT kind FROM anomalies WHERE order_id = $1 ORDER BY id`, [orderId])).map(
    (a: { kind: string }) => a.kind,
  );
const count = async (sql: string, id: string): Promise<number> => (await h.ds.query(sql, [id]))[0].n;

it("SUCCESS moves a paying order to paid once, with one event and one outbox row", async () => {
  const o = await paying("oolong-tea", 1);
  const f = facts(o.outTradeNo);
  expect(await settle(h.deps, m, f, "notify")).toMatchObject({
    result: "applied",
    from: "paying",
    to: "paid",
  });
  expect(await settle(h.deps, m, f, "verify")).toMatchObject({ result: "noop", why: "already" });
  expect((await row(o.id)).transaction_id).toBe(f.transactionId);
  expect(await count(`SELECT count(*)::int AS n FROM outbox WHERE order_id = $1`, o.id)).toBe(1);
  expect(
    await count(
      `SELECT count(*)::int AS n FROM order_events WHERE order_id = $1 AND to_state = 'paid'`,
      o.id,
    ),
  ).toBe(1);
});

it.each([
  ["amount_mismatch", { totalFen: 6801 }],
  ["currency_mismatch", { currency: "USD" }],
  ["missing_amount", { totalFen: null }],
])("%s is flagged and nothing moves", async (kind, over) => {
  const o = await paying("oolong-tea", 1);
  expect(await settle(h.deps, m, facts(o.outTradeNo, over), "notify")).toMatchObject({
    result: "anomaly",
    anomaly: kind,
  });
  expect((await row(o.id)).state).toBe("paying");
  expect(await anomalyKinds(o.id)).toEqual([kind]);
});

it("facts about another merchant or an unknown order are flagged without touching any order", async () => {
  const o = await paying("oolong-tea", 1);
  expect(await settle(h.deps, m, facts(o.outTradeNo, { mchid: "1999999999" }), "notify")).toMatchObject({
    anomaly: "wrong_merchant",
  });
  expect(await settle(h.deps, m, facts("MPNOSUCHORDER000"), "notify")).toMatchObject({
    anomaly: "unknown_order",
  });
  expect((await row(o.id)).state).toBe("paying");
});

it("CLOSED closes a paying order and gives its stock back once", async () => {
  const before = await stock("mooncake");
  const o = await paying("mooncake", 2);
  expect(await stock("mooncake")).toBe(before - 2);
  const closed = facts(o.outTradeNo, { tradeState: "CLOSED", transactionId: null, totalFen: null });
  expect(await settle(h.deps, m, closed, "sweeper")).toMatchObject({ result: "applied", to: "closed" });
  expect(await settle(h.deps, m, closed, "sweeper")).toMatchObject({ result: "noop" });
  expect(await stock("mooncake")).toBe(before);
});

async function expiredOrder(productId: string, quantity: number) {
  const o = await makeOrder(h.db, { merchantId: m.id, userId, productId, quantity, state: "paying" });
  await h.db.transaction(async (r) => {
    await transition(r, { id: o.id, state: "paying" }, "expired", "sweeper");
    await releaseStock(r, o.id);
  });
  return o;
}

it("a late payment on an expired order takes its stock again when there is enough", async () => {
  const before = await stock("red-envelope");
  const o = await expiredOrder("red-envelope", 3);
  expect(await stock("red-envelope")).toBe(before);
  expect(await settle(h.deps, m, facts(o.outTradeNo, { totalFen: 990 * 3 }), "notify")).toMatchObject({
    result: "applied",
    from: "expired",
    to: "paid",
    anomaly: "paid_after_close",
  });
  expect(await stock("red-envelope")).toBe(before - 3);
  expect((await row(o.id)).stock_released).toBe(false);
  expect(await anomalyKinds(o.id)).toEqual(["paid_after_close"]);
});

it("a late payment when the stock is gone is paid and says: refund or fulfil", async () => {
  await h.db.repos.products.insertMissing(m.id, [
    { id: "last-one", name: "Last one", description: "", priceFen: 500, stock: 1, sort: 9 },
  ]);
  const o = await expiredOrder("last-one", 1);
  await makeOrder(h.db, { merchantId: m.id, userId, productId: "last-one", quantity: 1 }); // someone else took it
  expect(await stock("last-one")).toBe(0);
  await settle(h.deps, m, facts(o.outTradeNo, { totalFen: 500 }), "notify");
  expect((await row(o.id)).state).toBe("paid");
  expect(await stock("last-one")).toBe(0);
  const [a] = await h.ds.query(`SELECT kind, facts FROM anomalies WHERE order_id = $1`, [o.id]);
  expect(a.kind).toBe("paid_after_close_out_of_stock");
  expect(a.facts.action).toMatch(/refund or fulfil/);
});

it("a second transaction for a paid order is flagged as a duplicate payment", async () => {
  const o = await paying("oolong-tea", 1);
  await settle(h.deps, m, facts(o.outTradeNo), "notify");
  expect(await settle(h.deps, m, facts(o.outTradeNo), "notify")).toMatchObject({
    anomaly: "duplicate_payment",
  });
});

it("concurrent settles of one payment apply it exactly once", async () => {
  const o = await paying("oolong-tea", 1);
  const f = facts(o.outTradeNo);
  const outcomes = await Promise.all(Array.from({ length: 8 }, () => settle(h.deps, m, f, "notify")));
  expect(outcomes.filter((x) => x.result === "applied")).toHaveLength(1);
  expect(await count(`SELECT count(*)::int AS n FROM outbox WHERE order_id = $1`, o.id)).toBe(1);
});

it("after the merchant moved to another mini-program, answers about numbers prepaid for the old app still settle", async () => {
  const o = await paying("oolong-tea", 1);
  const oldAppid = "wx0000000000000old";
  await h.db.repos.tradeNumbers.add({
    merchantId: m.id,
    outTradeNo: o.outTradeNo,
    orderId: o.id,
    method: "jsapi",
    appid: oldAppid,
    createdAt: new Date(),
  });
  // Another app's appid on the same number is still someone else's answer.
  expect(
    await settle(h.deps, m, facts(o.outTradeNo, { appid: "wx0000000000000bad" }), "notify"),
  ).toMatchObject({
    anomaly: "wrong_merchant",
  });
  expect(await settle(h.deps, m, facts(o.outTradeNo, { appid: oldAppid }), "notify")).toMatchObject({
    result: "applied",
    to: "paid",
  });
});
