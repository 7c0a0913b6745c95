/**
 * Every public route, fed hostile input: NUL and control bytes, huge and odd numbers, wrong types,
 * forged cursors, junk bodies and content types. The contract: never a 5xx, and every error answer
 * of the API is `{error:{code}}` with a code from shared/. The cases an outside audit found first,
 * then generated ones (fast-check, bounded runs).
 */
import fc from "fast-check";
import { ERROR_CODES } from "@minipay/shared";
import { merchantIdFor } from "../../src/merchants/secrets";
import { idemKey, payingOrder, useSandbox, useStack } from "../helpers/sandbox-stack";

let token: string;
let orderId: string;
const sandbox = useSandbox();
const stack = useStack(sandbox, "v3-public-key");
beforeAll(async () => {
  const p = await payingOrder(stack);
  token = p.token;
  orderId = p.order.id;
});

const seen = { answers: 0, fiveXx: [] as string[] };

/** Send raw; assert the contract; return status and parsed body. */
async function send(
  method: string,
  path: string,
  o: { body?: string | Buffer; headers?: Record<string, string>; auth?: boolean; api?: boolean } = {},
) {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.auth) headers.authorization = `Bearer ${token}`;
  const r = await fetch(stack.h.url + path, { method, headers, body: o.body });
  const text = await r.text();
  seen.answers++;
  if (r.status >= 500) seen.fiveXx.push(`${method} ${path} → ${r.status} ${text.slice(0, 200)}`);
  expect(r.status).toBeLessThan(500);
  if ((o.api ?? true) && r.status >= 400) {
    const body = JSON.parse(text);
    expect(ERROR_CODES).toContain(body.error.code);
    expect(text).not.toMatch(/\bat \S+\.(ts|js):\d+/); // no stack traces
  }
  return { status: r.status, text };
}

const cursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
const ZERO = "00000000-0000-0000-0000-000000000000";

describe("the audit's reproductions answer 400 VALIDATION_FAILED", () => {
  it("a NUL byte in productId (orders and quotes)", async () => {
    const body = JSON.stringify({ items: [{ productId: "a\u0000b", quantity: 1 }] });
    for (const path of ["/api/v1/orders", "/api/v1/quotes"]) {
      const r = await send("POST", path, {
        body,
        auth: true,
        headers: { "content-type": "application/json", "idempotency-key": idemKey() },
      });
      expect(r.status).toBe(400);
      expect(JSON.parse(r.text).error.code).toBe("VALIDATION_FAILED");
    }
  });

  it.each(["1", "0", "2020", "2020-02-30", "+275760-09-13T00:00:00.000Z", "-271821-04-20T00:00:00.000Z"])(
    "a cursor whose time is %j",
    async (t) => {
      const r = await send("GET", `/api/v1/orders?cursor=${cursor({ t, id: ZERO })}`, { auth: true });
      expect(r.status).toBe(400);
      const err = JSON.parse(r.text).error;
      expect(err.code).toBe("VALIDATION_FAILED");
      expect(JSON.stringify(err.details)).toContain("cursor");
    },
  );

  it("only the exact cursor form the server issues is accepted", async () => {
    for (let i = 0; i < 3; i++) await stack.order(token, "red-envelope", 1);
    const page = await stack.api("GET", "/api/v1/orders?limit=1", { token });
    const issued: string = page.body.nextCursor;
    expect((await send("GET", `/api/v1/orders?limit=1&cursor=${issued}`, { auth: true })).status).toBe(200);
    const decoded = JSON.parse(Buffer.from(issued, "base64url").toString());
    for (const forged of [
      cursor({ ...decoded, extra: 1 }),
      cursor({ id: decoded.id, t: decoded.t }), // keys reordered
      cursor({ t: decoded.t.replace(/\.\d{3}Z$/, "Z"), id: decoded.id }),
      cursor({ t: decoded.t, id: decoded.id.toUpperCase() }),
      issued + "=",
    ])
      expect((await send("GET", `/api/v1/orders?limit=1&cursor=${forged}`, { auth: true })).status).toBe(400);
  });
});

describe("generated input on every route", () => {
  const junk = fc.oneof(
    fc.string({ unit: "binary", maxLength: 80 }),
    fc.constantFrom(
      "\u0000",
      "a\u0000b",
      "\u001f",
      "%00",
      "../../etc/passwd",
      "' OR 1=1 --",
      "😀",
      "ｗｘ",
      "",
    ),
    fc.integer().map(String),
    fc.double().map(String),
  );
  const anyJson = fc.jsonValue({ maxDepth: 3 });
  const runs = { numRuns: 60 };

  it("session, config, products, quotes", async () => {
    await fc.assert(
      fc.asyncProperty(junk, anyJson, async (s, j) => {
        await send("POST", "/api/v1/session", {
          body: JSON.stringify({ code: s, appid: s }),
          headers: { "content-type": "application/json" },
        });
        await send("POST", "/api/v1/session", {
          body: JSON.stringify(j),
          headers: { "content-type": "application/json" },
        });
        await send("GET", `/api/v1/config?appid=${encodeURIComponent(s)}`);
        await send("GET", `/api/v1/products?appid=${encodeURIComponent(s)}`);
        await send("POST", "/api/v1/quotes", {
          body: JSON.stringify({ items: [{ productId: s, quantity: j }] }),
          headers: { "content-type": "application/json" },
          auth: true,
        });
      }),
      runs,
    );
  });

  it("orders: create, list, read, pay, verify", async () => {
    await fc.assert(
      fc.asyncProperty(junk, anyJson, fc.integer(), async (s, j, n) => {
        await send("POST", "/api/v1/orders", {
          body: JSON.stringify({ items: [{ productId: s, quantity: n }], extra: j }),
          headers: { "content-type": "application/json", "idempotency-key": idemKey() },
          auth: true,
        });
        await send("POST", "/api/v1/orders", {
          body: JSON.stringify(j),
          headers: {
            "content-type": "application/json",
            "idempotency-key": encodeURIComponent(s).slice(0, 200) || "x",
          },
          auth: true,
        });
        await send("GET", `/api/v1/orders?limit=${encodeURIComponent(s)}&cursor=${encodeURIComponent(s)}`, {
          auth: true,
        });
        await send("GET", `/api/v1/orders?cursor=${cursor({ t: s, id: s })}`, { auth: true });
        const id = encodeURIComponent(s) || "x";
        await send("GET", `/api/v1/orders/${id}`, { auth: true });
        await send("POST", `/api/v1/orders/${id}/payments`, {
          body: JSON.stringify({ method: s }),
          headers: { "content-type": "application/json" },
          auth: true,
        });
        await send("POST", `/api/v1/orders/${orderId}/payments`, {
          body: JSON.stringify(j),
          headers: { "content-type": "application/json" },
          auth: true,
        });
        await send("POST", `/api/v1/orders/${id}/verify`, { auth: true });
      }),
      runs,
    );
  });

  it("bodies and headers of any shape", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom(
          "application/json",
          "text/xml",
          "text/plain",
          "application/x-www-form-urlencoded",
          "",
          "application/json; charset=latin1",
        ),
        fc.constantFrom(
          "/api/v1/session",
          "/api/v1/orders",
          "/api/v1/quotes",
          `/api/v1/orders/${ZERO}/payments`,
        ),
        async (bytes, type, path) => {
          await send("POST", path, {
            body: Buffer.from(bytes),
            headers: { ...(type ? { "content-type": type } : {}), "idempotency-key": idemKey() },
            auth: true,
          });
        },
      ),
      runs,
    );
  });

  it("notify endpoints (answers in WeChat's formats, never 5xx)", async () => {
    const mid = merchantIdFor(stack.merchant.credentials.mchid);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), junk, async (bytes, s) => {
        for (const path of [
          `/notify/wechat/${mid}/v3/pay`,
          `/notify/wechat/${mid}/v2/pay`,
          `/notify/wechat/${encodeURIComponent(s) || "x"}/v3/pay`,
          "/notify/wechat/v3/pay",
          "/notify/wechat/v2/pay",
        ])
          await send("POST", path, {
            body: Buffer.from(bytes),
            headers: {
              "content-type": "application/json",
              "wechatpay-serial": s.replace(/[^\x20-\x7e]/g, ""),
            },
            api: false,
          });
      }),
      { numRuns: 30 },
    );
  });

  afterAll(() => {
    // A summary for the note: how many answers were checked, and that none was a 5xx.
    console.log(`fuzz: ${seen.answers} answers, ${seen.fiveXx.length} 5xx`);
    expect(seen.fiveXx).toEqual([]);
  });
});
