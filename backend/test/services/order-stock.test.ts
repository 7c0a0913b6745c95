/**
 * Orders as the shop makes and lists them. A create reads the products without a lock, prices the
 * cart and writes the order in one statement that takes the units only if every product is still
 * as priced; a product that moved in between (repriced, renamed, archived, sold out) sends the
 * create down the locked path, which prices it again or refuses it. Concurrent creates never take
 * more units than there are. A list page reads its orders' lines at once.
 */
import crypto from "node:crypto";
import type { Db, Repos } from "../../src/db/repositories";
import { AppError } from "../../src/domain/errors";
import { OrderService } from "../../src/services/orders";
import { RateLimiter } from "../../src/services/rate-limit";
import { merchantIdFor, offlineMerchant, startHarness, type Harness } from "../helpers/harness";
import { makeUser } from "../helpers/orders";

const seed = offlineMerchant();
const merchantId = merchantIdFor(seed.credentials.mchid);
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ merchants: [seed] });
});
afterAll(() => h.close());

const limits = {
  perUser: { bucket: "order-user", limit: 1000, windowSeconds: 60 },
  maxOpen: 100,
  maxQuantityPerProduct: 100,
};

/** An OrderService over `db` (the real one, or one that meddles between read and take). */
const service = (db: Db = h.db) =>
  new OrderService({ ...h.deps, db }, 30, limits, new RateLimiter({ ...h.deps, db }, crypto.randomBytes(32)));

async function product(stock: number, priceFen = 500): Promise<string> {
  const id = `p-${crypto.randomBytes(4).toString("hex")}`;
  await h.db.repos.products.create({
    merchantId,
    id,
    name: `Tea ${id}`,
    description: "",
    priceFen,
    stock,
    imageUrl: null,
    active: true,
  });
  return id;
}
const stockOf = async (id: string): Promise<number> =>
  Number((await h.ds.query(`SELECT stock FROM products WHERE id = $1`, [id]))[0].stock);
const ordersFor = async (id: string): Promise<number> =>
  Number((await h.ds.query(`SELECT count(*)::int AS n FROM order_items WHERE product_id = $1`, [id]))[0].n);
const user = () => makeUser(h.db, merchantId, seed.credentials.appid);
const create = (svc: OrderService, userId: string, productId: string, quantity = 1) =>
  svc.create({ id: merchantId }, { id: userId }, crypto.randomUUID(), { items: [{ productId, quantity }] });

/**
 * A Db that runs `meddle` (on another connection, committed) right after the first unlocked
 * product read (the product moves between the read and the write), or right after the first
 * Idempotency-Key lookup.
 */
function meddlingDb(
  meddle: () => Promise<unknown>,
  after: "product read" | "key check" = "product read",
): { db: Db; reads: () => number } {
  let reads = 0;
  let keyChecks = 0;
  const wrap = (r: Repos): Repos => {
    const products = Object.create(r.products) as Repos["products"];
    products.byIds = async (mid, ids) => {
      const rows = await r.products.byIds(mid, ids);
      if (reads++ === 0 && after === "product read") await meddle();
      return rows;
    };
    const orders = Object.create(r.orders) as Repos["orders"];
    orders.byIdempotencyKey = async (mid, uid, key) => {
      const found = await r.orders.byIdempotencyKey(mid, uid, key);
      if (keyChecks++ === 0 && after === "key check") await meddle();
      return found;
    };
    return { ...r, products, orders };
  };
  const db: Db = {
    repos: wrap(h.db.repos),
    ping: () => h.db.ping(),
    transaction: (fn) => h.db.transaction((r) => fn(wrap(r))),
  };
  return { db, reads: () => reads };
}

it("30 concurrent creates of a product with 7 units: 7 orders, 23 OUT_OF_STOCK, stock 0", async () => {
  const p = await product(7);
  const users = await Promise.all(Array.from({ length: 30 }, user));
  const svc = service();
  const results = await Promise.allSettled(users.map((u) => create(svc, u, p)));
  const ok = results.filter((r) => r.status === "fulfilled");
  const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
  expect(ok).toHaveLength(7);
  expect(refused).toHaveLength(23);
  for (const e of refused) expect((e as AppError).code).toBe("OUT_OF_STOCK");
  expect(await stockOf(p)).toBe(0);
  expect(await ordersFor(p)).toBe(7);
});

it("repriced between read and take: the order is made at the new price, stock taken once", async () => {
  const p = await product(10, 500);
  const m = meddlingDb(() => h.ds.query(`UPDATE products SET price_fen = 650 WHERE id = $1`, [p]));
  const order = await create(service(m.db), await user(), p, 2);
  expect(m.reads()).toBe(1); // the second attempt read with lockForPricing
  expect(order.totalFen).toBe(1300);
  expect(order.items).toEqual([expect.objectContaining({ productId: p, unitPriceFen: 650, quantity: 2 })]);
  expect(await stockOf(p)).toBe(8);
  expect(await ordersFor(p)).toBe(1); // the first attempt's rows were rolled back
});

it("renamed between read and take: the order carries the new name", async () => {
  const p = await product(10);
  const m = meddlingDb(() => h.ds.query(`UPDATE products SET name = 'Renamed tea' WHERE id = $1`, [p]));
  const order = await create(service(m.db), await user(), p);
  expect(order.items[0]!.name).toBe("Renamed tea");
  expect(await stockOf(p)).toBe(9);
});

it("archived between read and take: PRODUCT_NOT_FOUND, nothing taken or stored", async () => {
  const p = await product(10);
  const m = meddlingDb(() => h.ds.query(`UPDATE products SET active = false WHERE id = $1`, [p]));
  await expect(create(service(m.db), await user(), p)).rejects.toMatchObject({ code: "PRODUCT_NOT_FOUND" });
  expect(await stockOf(p)).toBe(10);
  expect(await ordersFor(p)).toBe(0);
});

it("sold out between read and take: OUT_OF_STOCK, nothing taken or stored", async () => {
  const p = await product(3);
  const m = meddlingDb(() => h.ds.query(`UPDATE products SET stock = 1 WHERE id = $1`, [p]));
  await expect(create(service(m.db), await user(), p, 2)).rejects.toMatchObject({ code: "OUT_OF_STOCK" });
  expect(await stockOf(p)).toBe(1);
  expect(await ordersFor(p)).toBe(0);
});

it("two products, the second moved: the first's units are given back with the rolled-back attempt", async () => {
  const a = await product(5, 100);
  const b = await product(5, 200);
  const [first, second] = [a, b].sort();
  const m = meddlingDb(() =>
    h.ds.query(`UPDATE products SET price_fen = price_fen + 1 WHERE id = $1`, [second]),
  );
  const order = await service(m.db).create({ id: merchantId }, { id: await user() }, crypto.randomUUID(), {
    items: [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 1 },
    ],
  });
  expect(order.totalFen).toBe(first === a ? 2 * 100 + 201 : 2 * 101 + 200);
  expect(await stockOf(a)).toBe(3);
  expect(await stockOf(b)).toBe(4);
});

it("10 concurrent creates with one Idempotency-Key: one order, every answer that order, units taken once", async () => {
  const p = await product(50);
  const u = await user();
  const key = crypto.randomUUID();
  const svc = service();
  const answers = await Promise.all(
    Array.from({ length: 10 }, () =>
      svc.create({ id: merchantId }, { id: u }, key, { items: [{ productId: p, quantity: 3 }] }),
    ),
  );
  expect(new Set(answers.map((a) => a.id)).size).toBe(1);
  expect(await ordersFor(p)).toBe(1);
  expect(await stockOf(p)).toBe(47);
});

it("the same key won meanwhile and took the last units: the retry replays that order, not OUT_OF_STOCK", async () => {
  const p = await product(2);
  const u = await user();
  const key = crypto.randomUUID();
  const cart = { items: [{ productId: p, quantity: 2 }] };
  let first: Awaited<ReturnType<OrderService["create"]>> | undefined;
  // The first request commits after the retry's key lookup found nothing and before it reads the product.
  const m = meddlingDb(async () => {
    first = await service().create({ id: merchantId }, { id: u }, key, cart);
  }, "key check");
  const retry = await service(m.db).create({ id: merchantId }, { id: u }, key, cart);
  expect(first).toBeDefined();
  expect(retry.id).toBe(first!.id);
  expect(await stockOf(p)).toBe(0);
  expect(await ordersFor(p)).toBe(1);
});

it("a page of the shopper's list carries each order's own lines, in cart order (read for the page at once)", async () => {
  const [a, b, c] = [await product(50, 100), await product(50, 200), await product(50, 300)];
  const u = await user();
  const svc = service();
  const carts = [
    [{ productId: b, quantity: 1 }],
    [
      { productId: c, quantity: 2 },
      { productId: a, quantity: 1 },
    ],
    [{ productId: a, quantity: 3 }],
  ];
  const made = [];
  for (const items of carts)
    made.push(await svc.create({ id: merchantId }, { id: u }, crypto.randomUUID(), { items }));
  const page = await svc.list(merchantId, u, 10);
  expect(page.orders.map((o) => o.id)).toEqual(made.map((o) => o.id).reverse());
  for (const o of page.orders) {
    const mine = made.find((m) => m.id === o.id)!;
    expect(o.items).toEqual(mine.items);
    expect(o.events).toBeUndefined();
  }
  expect(page.orders[1]!.items.map((i) => [i.productId, i.quantity])).toEqual([
    [c, 2],
    [a, 1],
  ]);
});
