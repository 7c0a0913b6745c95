/**
 * Every bad input gets a 4xx with a stable code from shared/ and leaves stored data untouched:
 * login codes, order bodies, idempotency, other people's orders, expired sessions.
 */
import { idemKey, useSandbox, useStack } from "../helpers/sandbox-stack";

let clockOffsetMs = 0;
const sandbox = useSandbox();
const stack = useStack(sandbox, "v3-public-key", { now: () => new Date(Date.now() + clockOffsetMs) });

async function snapshot() {
  const [o] = await stack.h.ds.query(`SELECT count(*)::int AS orders FROM orders`);
  const stock = await stack.h.ds.query(`SELECT id, stock FROM products ORDER BY id`);
  const [e] = await stack.h.ds.query(`SELECT count(*)::int AS events FROM order_events`);
  return { ...o, ...e, stock };
}

describe("orders: bad input changes nothing", () => {
  let token: string;
  beforeAll(async () => {
    token = (await stack.login()).token;
  });

  it.each([
    ["unknown product", { items: [{ productId: "no-such", quantity: 1 }] }, 400, "PRODUCT_NOT_FOUND"],
    ["quantity 0", { items: [{ productId: "mooncake", quantity: 0 }] }, 400, "VALIDATION_FAILED"],
    ["negative quantity", { items: [{ productId: "mooncake", quantity: -3 }] }, 400, "VALIDATION_FAILED"],
    ["huge quantity", { items: [{ productId: "mooncake", quantity: 1e9 }] }, 400, "VALIDATION_FAILED"],
    ["fractional quantity", { items: [{ productId: "mooncake", quantity: 1.5 }] }, 400, "VALIDATION_FAILED"],
    [
      "client-sent price",
      { items: [{ productId: "mooncake", quantity: 1, priceFen: 1 }] },
      400,
      "VALIDATION_FAILED",
    ],
    ["no items", { items: [] }, 400, "VALIDATION_FAILED"],
    [
      "more than in stock",
      { items: Array.from({ length: 11 }, () => ({ productId: "mooncake", quantity: 99 })) },
      409,
      "OUT_OF_STOCK",
    ],
  ])("%s → %i %s", async (_l, body, status, code) => {
    const before = await snapshot();
    const r = await stack.api("POST", "/api/v1/orders", {
      token,
      body,
      headers: { "idempotency-key": idemKey() },
    });
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(await snapshot()).toEqual(before);
  });

  it("no Idempotency-Key → 400 IDEMPOTENCY_KEY_REQUIRED", async () => {
    const r = await stack.api("POST", "/api/v1/orders", {
      token,
      body: { items: [{ productId: "mooncake", quantity: 1 }] },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("IDEMPOTENCY_KEY_REQUIRED");
  });

  it("same key + same body → same order; same key + other body → 409, nothing changed", async () => {
    const key = idemKey();
    const body = { items: [{ productId: "mooncake", quantity: 1 }] };
    const a = await stack.api("POST", "/api/v1/orders", { token, body, headers: { "idempotency-key": key } });
    const b = await stack.api("POST", "/api/v1/orders", { token, body, headers: { "idempotency-key": key } });
    expect(a.status).toBe(201);
    expect(b.body.id).toBe(a.body.id);
    const before = await snapshot();
    const c = await stack.api("POST", "/api/v1/orders", {
      token,
      body: { items: [{ productId: "mooncake", quantity: 2 }] },
      headers: { "idempotency-key": key },
    });
    expect(c.status).toBe(409);
    expect(c.body.error.code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(await snapshot()).toEqual(before);
  });

  it("concurrent requests with one key create one order", async () => {
    const key = idemKey();
    const body = { items: [{ productId: "red-envelope", quantity: 1 }] };
    const rs = await Promise.all(
      Array.from({ length: 5 }, () =>
        stack.api("POST", "/api/v1/orders", { token, body, headers: { "idempotency-key": key } }),
      ),
    );
    expect(new Set(rs.map((r) => r.body.id)).size).toBe(1);
  });

  it("someone else's order is 404 for read, pay and verify", async () => {
    const mine = await stack.order(token, "mooncake", 1);
    const other = (await stack.login()).token;
    for (const [method, p, body] of [
      ["GET", `/api/v1/orders/${mine.body.id}`, undefined],
      ["POST", `/api/v1/orders/${mine.body.id}/payments`, { method: "jsapi" }],
      ["POST", `/api/v1/orders/${mine.body.id}/verify`, undefined],
      ["GET", `/api/v1/orders/not-a-uuid`, undefined],
    ] as const) {
      const r = await stack.api(method, p, { token: other, body });
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe("ORDER_NOT_FOUND");
    }
    const list = await stack.api("GET", "/api/v1/orders", { token: other });
    expect(list.body.orders).toEqual([]);
    const still = await stack.api("GET", `/api/v1/orders/${mine.body.id}`, { token });
    expect(still.body.state).toBe("created");
  });

  it("lists the caller's orders newest first with a cursor", async () => {
    const t = (await stack.login()).token;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await stack.api("POST", "/api/v1/orders", {
        token: t,
        body: { items: [{ productId: "red-envelope", quantity: i + 1 }] },
        headers: { "idempotency-key": idemKey() },
      });
      ids.push(r.body.id);
    }
    const p1 = await stack.api("GET", "/api/v1/orders?limit=2", { token: t });
    expect(p1.body.orders.map((o: any) => o.id)).toEqual([ids[2], ids[1]]);
    const p2 = await stack.api("GET", `/api/v1/orders?limit=2&cursor=${p1.body.nextCursor}`, { token: t });
    expect(p2.body.orders.map((o: any) => o.id)).toEqual([ids[0]]);
    expect(p2.body.nextCursor).toBeNull();
    const bad = await stack.api("GET", "/api/v1/orders?cursor=garbage", { token: t });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");
  });

  it("unknown payment method → 400; an expired session → 401 SESSION_EXPIRED", async () => {
    const o = await stack.order(token, "mooncake", 1);
    const m = await stack.api("POST", `/api/v1/orders/${o.body.id}/payments`, {
      token,
      body: { method: "alipay" },
    });
    expect(m.status).toBe(400);
    expect(m.body.error.code).toBe("VALIDATION_FAILED");
    clockOffsetMs = 31 * 86400_000;
    try {
      const r = await stack.api("GET", "/api/v1/orders", { token });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe("SESSION_EXPIRED");
    } finally {
      clockOffsetMs = 0;
    }
  });
});
