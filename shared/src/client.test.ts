import { ApiError, createApi, TIMEOUTS, type HttpAdapter, type HttpRequest } from "./client";

const order = {
  id: "0b0e9a2e-8d7e-4f57-9a57-2c4a7c1a0001",
  outTradeNo: "MP20261124AAAAAAAAAAAAAAAA",
  state: "created",
  totalFen: 1980,
  refundedFen: 0,
  currency: "CNY",
  description: "红包",
  items: [{ productId: "red-envelope", name: "红包", unitPriceFen: 990, quantity: 2, subtotalFen: 1980 }],
  createdAt: "2026-11-24T10:00:00.000Z",
  expiresAt: "2026-11-24T10:30:00.000Z",
  paidAt: null,
  transactionId: null,
};

function scripted(responses: (((r: HttpRequest) => { statusCode: number; data: unknown }) | "network")[]) {
  const calls: HttpRequest[] = [];
  const http: HttpAdapter = async (r) => {
    calls.push(r);
    const next = responses.shift();
    if (!next) throw new Error("unexpected call");
    if (next === "network") throw new Error("net down");
    return next(r);
  };
  return { http, calls };
}

function api(
  http: HttpAdapter,
  token: { value: string | null } = { value: "t1" },
  relogin = jest.fn(async () => void (token.value = "t2")),
) {
  const sleeps: number[] = [];
  const client = createApi({
    http,
    baseUrl: "http://api",
    token: () => token.value,
    relogin,
    sleep: async (ms) => void sleeps.push(ms),
  });
  return { client, sleeps, relogin, token };
}

describe("API client", () => {
  it("parses responses with the shared schema and sends the bearer token", async () => {
    const s = scripted([() => ({ statusCode: 200, data: order })]);
    const { client } = api(s.http);
    const o = await client.order(order.id);
    expect(o.totalFen).toBe(1980);
    expect(s.calls[0]!.url).toBe(`http://api/api/v1/orders/${order.id}`);
    expect(s.calls[0]!.header!.authorization).toBe("Bearer t1");
  });

  it("turns error bodies into ApiError with the stable code", async () => {
    const s = scripted([
      () => ({
        statusCode: 404,
        data: { error: { code: "ORDER_NOT_FOUND", message: "The order does not exist" } },
      }),
    ]);
    const { client } = api(s.http);
    await expect(client.order(order.id)).rejects.toMatchObject({ code: "ORDER_NOT_FOUND", status: 404 });
  });

  it("rejects a response that does not match the contract", async () => {
    const s = scripted([() => ({ statusCode: 200, data: { ...order, totalFen: "19.80" } })]);
    const { client } = api(s.http);
    await expect(client.order(order.id)).rejects.toMatchObject({ code: "BAD_RESPONSE" });
  });

  it("retries reads on network failure with backoff, then gives up with NETWORK", async () => {
    const ok = scripted(["network", "network", () => ({ statusCode: 200, data: { products: [] } })]);
    const a = api(ok.http);
    await expect(a.client.products()).resolves.toEqual({ products: [] });
    expect(a.sleeps).toEqual([500, 1000]);
    const bad = scripted(["network", "network", "network"]);
    await expect(api(bad.http).client.products()).rejects.toMatchObject({ code: "NETWORK" });
  });

  it("never resends a login code", async () => {
    const s = scripted(["network"]);
    await expect(api(s.http).client.login("code-1")).rejects.toBeInstanceOf(ApiError);
    expect(s.calls).toHaveLength(1);
  });

  it("on 401 logs in again once and retries with the new token", async () => {
    const s = scripted([
      () => ({ statusCode: 401, data: { error: { code: "SESSION_EXPIRED", message: "x" } } }),
      () => ({ statusCode: 200, data: order }),
    ]);
    const a = api(s.http);
    await a.client.order(order.id);
    expect(a.relogin).toHaveBeenCalledTimes(1);
    expect(s.calls[1]!.header!.authorization).toBe("Bearer t2");
  });

  it("a second 401 is not retried again", async () => {
    const unauth = () => ({ statusCode: 401, data: { error: { code: "UNAUTHENTICATED", message: "x" } } });
    const s = scripted([unauth, unauth]);
    const a = api(s.http);
    await expect(a.client.order(order.id)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    expect(a.relogin).toHaveBeenCalledTimes(1);
  });

  it("sends the Idempotency-Key with an order and retries it safely", async () => {
    const s = scripted(["network", () => ({ statusCode: 201, data: order })]);
    const a = api(s.http);
    await a.client.createOrder({ items: [{ productId: "red-envelope", quantity: 2 }] }, "mp-key-1234");
    expect(s.calls.map((c) => c.header!["Idempotency-Key"])).toEqual(["mp-key-1234", "mp-key-1234"]);
  });

  it("sends the appid at login only when there is one", async () => {
    const session = { token: "t", expiresAt: "x", user: { id: "u", openidHint: "o…" } };
    const s = scripted([
      () => ({ statusCode: 200, data: session }),
      () => ({ statusCode: 200, data: session }),
    ]);
    const { client } = api(s.http);
    await client.login("c1", "wx0123456789abcdef");
    await client.login("c2");
    expect(s.calls.map((c) => c.data)).toEqual([{ code: "c1", appid: "wx0123456789abcdef" }, { code: "c2" }]);
  });

  it("asks for a quote (no auth, no order) and parses it", async () => {
    const quote = {
      items: [{ ...order.items[0], stock: 7 }],
      totalFen: 1980,
      currency: "CNY",
      description: "红包",
      available: true,
    };
    const s = scripted(["network", () => ({ statusCode: 200, data: quote })]);
    const { client } = api(s.http);
    const q = await client.quote([{ productId: "red-envelope", quantity: 2 }]);
    expect(q.items[0]!.stock).toBe(7);
    expect(s.calls[1]!.url).toBe("http://api/api/v1/quotes");
    expect(s.calls[1]!.method).toBe("POST");
    expect(s.calls[1]!.data).toEqual({ items: [{ productId: "red-envelope", quantity: 2 }] });
  });

  it("waits longer than the backend's WeChat budget on calls that reach WeChat", async () => {
    const s = scripted([() => ({ statusCode: 200, data: order }), () => ({ statusCode: 200, data: order })]);
    const { client } = api(s.http);
    await client.order(order.id);
    await client.verify(order.id);
    expect(s.calls.map((c) => c.timeoutMs)).toEqual([TIMEOUTS.defaultMs, TIMEOUTS.upstreamMs]);
    expect(TIMEOUTS.upstreamMs).toBeGreaterThan(3 * 5000 + 300);
  });
});
