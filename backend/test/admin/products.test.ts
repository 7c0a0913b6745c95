/**
 * Products through the admin API: shoppers see (and can order) active products only; an order
 * keeps the price it was made at; stock never goes below zero, i.e. never below what open orders
 * hold (their units are already out of `stock` and come back when such an order is released).
 */
import { ADMIN_PREFIX, AdminProduct } from "@minipay/shared";
import { orderView } from "../../src/services/order-view";
import { releaseStock } from "../../src/services/transition";
import { makeOrder, makeUser } from "../helpers/orders";
import { A, B, merchantA, merchantB, startAdminWithKey, type AdminKit } from "./admin-kit";

let kit: AdminKit;
let key: string;
beforeAll(async () => ({ kit, key } = await startAdminWithKey(A, ["products:read", "products:write"])));
afterAll(() => kit.close());

const P = `${ADMIN_PREFIX}/products`;
const shopperIds = async (appid = merchantA.credentials.appid) => {
  const r = await kit.call("GET", `/api/v1/products?appid=${appid}`, null);
  expect(r.status).toBe(200);
  return r.body.products.map((p: any) => p.id) as string[];
};
const quote = (productId: string) =>
  kit.call("POST", `/api/v1/quotes?appid=${merchantA.credentials.appid}`, null, {
    items: [{ productId, quantity: 1 }],
  });

describe("admin products", () => {
  it("creates with a given or a generated id, lists everything including inactive ones", async () => {
    const given = await kit.call("POST", P, key, {
      id: "green-tea",
      name: "Green tea",
      description: "Longjing",
      priceFen: 3800,
      stock: 10,
      imageUrl: "https://example.com/t.png",
    });
    expect(given.status).toBe(201);
    expect(AdminProduct.parse(given.body)).toMatchObject({ id: "green-tea", active: true, stock: 10 });
    const generated = await kit.call("POST", P, key, {
      name: "Hidden",
      priceFen: 1,
      stock: 0,
      active: false,
    });
    expect(generated.status).toBe(201);
    expect(generated.body.id).toMatch(/^p_[0-9a-f]{16}$/);
    const list = (await kit.call("GET", P, key)).body.products.map((p: any) => p.id);
    expect(list).toEqual(expect.arrayContaining(["green-tea", generated.body.id, "mooncake"]));
    const dup = await kit.call("POST", P, key, { id: "green-tea", name: "x", priceFen: 1, stock: 1 });
    expect([dup.status, dup.body.error.code]).toEqual([409, "PRODUCT_EXISTS"]);
  });

  it("the same product id may exist at two merchants, each its own", async () => {
    const keyB = (await kit.key(B, ["products:write"])).key;
    expect(
      (await kit.call("POST", P, keyB, { id: "green-tea", name: "B tea", priceFen: 1, stock: 1 })).status,
    ).toBe(201);
    const [a] = await kit.h.ds.query(
      `SELECT name FROM products WHERE merchant_id = $1 AND id = 'green-tea'`,
      [A],
    );
    expect(a.name).toBe("Green tea");
    expect(await shopperIds(merchantB.credentials.appid)).toContain("green-tea");
  });

  it("shoppers see and can order active products only", async () => {
    expect(await shopperIds()).toContain("green-tea");
    expect((await kit.call("PATCH", `${P}/green-tea`, key, { active: false })).body.active).toBe(false);
    expect(await shopperIds()).not.toContain("green-tea");
    const q = await quote("green-tea");
    expect([q.status, q.body.error.code]).toEqual([400, "PRODUCT_NOT_FOUND"]);
    expect((await kit.call("PATCH", `${P}/green-tea`, key, { active: true })).body.active).toBe(true);
    expect(await shopperIds()).toContain("green-tea");
    expect((await quote("green-tea")).status).toBe(200);
  });

  it("PATCH changes only the fields given, never stock", async () => {
    const res = await kit.call("PATCH", `${P}/green-tea`, key, { name: "Green tea 2", imageUrl: null });
    expect(res.body).toMatchObject({
      name: "Green tea 2",
      imageUrl: null,
      description: "Longjing",
      priceFen: 3800,
    });
    for (const body of [
      { stock: 99 },
      {},
      { priceFen: 0 },
      { priceFen: 1.5 },
      { imageUrl: "javascript:alert(1)" },
    ]) {
      const r = await kit.call("PATCH", `${P}/green-tea`, key, body);
      expect([r.status, r.body.error.code]).toEqual([400, "VALIDATION_FAILED"]);
    }
    const missing = await kit.call("PATCH", `${P}/no-such`, key, { priceFen: 1 });
    expect([missing.status, missing.body.error.code]).toEqual([404, "RESOURCE_NOT_FOUND"]);
  });

  it("an order keeps the price it was made at", async () => {
    const userId = await makeUser(kit.h.db, A, merchantA.credentials.appid);
    const order = await makeOrder(kit.h.db, { merchantId: A, userId, productId: "green-tea", quantity: 2 });
    expect(order.totalFen).toBe(7600);
    expect((await kit.call("PATCH", `${P}/green-tea`, key, { priceFen: 9900 })).status).toBe(200);
    const seen = await orderView(kit.h.db.repos, (await kit.h.db.repos.orders.byId(A, order.id))!, true);
    expect(seen.totalFen).toBe(7600);
    expect(seen.items).toEqual([
      expect.objectContaining({ unitPriceFen: 3800, quantity: 2, subtotalFen: 7600 }),
    ]);
    const [row] = await kit.h.ds.query(`SELECT unit_price_fen FROM order_items WHERE order_id = $1`, [
      order.id,
    ]);
    expect(Number(row.unit_price_fen)).toBe(3800);
    expect((await quote("green-tea")).body.totalFen).toBe(9900);
  });

  it("stock never goes below zero: units held by open orders cannot be taken away", async () => {
    await kit.call("POST", P, key, { id: "lamp", name: "Lamp", priceFen: 100, stock: 5 });
    const userId = await makeUser(kit.h.db, A, merchantA.credentials.appid);
    const order = await makeOrder(kit.h.db, { merchantId: A, userId, productId: "lamp", quantity: 3 });
    const stock = (delta: number) => kit.call("POST", `${P}/lamp/stock`, key, { delta, reason: "count" });
    // 5 made, 3 held by the open order: 2 left to sell.
    expect((await kit.call("GET", P, key)).body.products.find((p: any) => p.id === "lamp").stock).toBe(2);
    const over = await stock(-3);
    expect(over.status).toBe(409);
    expect(over.body.error).toMatchObject({ code: "STOCK_BELOW_ZERO", details: { stock: 2, delta: -3 } });
    expect((await stock(-2)).body.stock).toBe(0);
    expect((await stock(4)).body.stock).toBe(4);
    // The order lapses: its 3 units come back on top of what the merchant set.
    await kit.h.db.transaction((r) => releaseStock(r, order.id));
    expect((await stock(-7)).body.stock).toBe(0);
    for (const body of [
      { delta: 0, reason: "x" },
      { delta: 1 },
      { delta: 1.5, reason: "x" },
      { delta: 1, reason: "" },
    ]) {
      const r = await kit.call("POST", `${P}/lamp/stock`, key, body);
      expect([r.status, r.body.error.code]).toEqual([400, "VALIDATION_FAILED"]);
    }
  });

  it("concurrent removals cannot take stock below zero together", async () => {
    await kit.call("POST", P, key, { id: "vase", name: "Vase", priceFen: 100, stock: 5 });
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        kit.call("POST", `${P}/vase/stock`, key, { delta: -2, reason: "race" }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(2);
    expect(results.filter((r) => r.status === 409)).toHaveLength(3);
    const [v] = await kit.h.ds.query(`SELECT stock FROM products WHERE merchant_id = $1 AND id = 'vase'`, [
      A,
    ]);
    expect(v.stock).toBe(1);
  });
});
