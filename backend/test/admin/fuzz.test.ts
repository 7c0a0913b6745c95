/**
 * Every admin route fed hostile input with a key that may call it: NUL and control bytes, odd
 * numbers, wrong types, forged ids and cursors, repeated query parameters. Never a 5xx; every
 * error is `{error:{code}}` with a code from shared/; nothing is written by a refused request.
 */
import fc from "fast-check";
import { ADMIN_PREFIX, ERROR_CODES } from "@minipay/shared";
import { A, anomaly, startAdmin, type AdminKit } from "./admin-kit";

let kit: AdminKit;
let key: string;
let anomalyId: string;
beforeAll(async () => {
  kit = await startAdmin();
  key = (await kit.key(A)).key;
  anomalyId = await anomaly(kit.h, A);
});
afterAll(() => kit.close());

async function send(method: string, path: string, body?: string, type = "application/json") {
  const res = await fetch(kit.h.url + ADMIN_PREFIX + path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": type }) },
    body,
  });
  const text = await res.text();
  expect([method, path, res.status < 500]).toEqual([method, path, true]);
  if (res.status >= 400) expect(ERROR_CODES).toContain(JSON.parse(text).error.code);
  return res.status;
}

const hostile = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.constantFrom(
    "a\u0000b",
    "\u0000",
    "line\nbreak",
    "x".repeat(5000),
    "'; DROP TABLE products; --",
    "\ud800",
  ),
);
const anyJson = fc.oneof(
  hostile,
  fc.integer(),
  fc.double(),
  fc.constantFrom(1e300, -1, 0, 2 ** 53 + 1, null, true, [], {}),
);

const writes: [string, (v: unknown) => string, (v: unknown) => unknown][] = [
  ["POST", () => "/keys", (v) => ({ name: v, scopes: ["orders:read"] })],
  ["POST", () => "/keys", (v) => ({ name: "x", scopes: [v] })],
  ["POST", () => "/products", (v) => ({ name: v, priceFen: 1, stock: 1 })],
  ["POST", () => "/products", (v) => ({ id: v, name: "n", priceFen: 1, stock: 1 })],
  ["POST", () => "/products", (v) => ({ name: "n", description: v, priceFen: v, stock: 1, imageUrl: v })],
  ["PATCH", () => "/products/mooncake", (v) => ({ name: v })],
  ["PATCH", () => "/products/mooncake", (v) => ({ description: v, imageUrl: v })],
  ["POST", () => "/products/mooncake/stock", (v) => ({ delta: v, reason: "r" })],
  ["POST", () => "/products/mooncake/stock", (v) => ({ delta: 1, reason: v })],
  ["POST", () => `/anomalies/${anomalyId}/resolve`, (v) => ({ note: v })],
];

describe("admin routes under hostile input", () => {
  it("the cases found first: NUL bytes and control characters in text fields", async () => {
    const before = await kit.auditCount();
    expect(await send("POST", "/products", JSON.stringify({ name: "a\u0000b", priceFen: 1, stock: 1 }))).toBe(
      400,
    );
    expect(await send("PATCH", "/products/mooncake", JSON.stringify({ description: "\u0000" }))).toBe(400);
    expect(await send("POST", "/keys", JSON.stringify({ name: "a\nb", scopes: ["orders:read"] }))).toBe(400);
    expect(await send("POST", `/anomalies/${anomalyId}/resolve`, JSON.stringify({ note: "\u0000" }))).toBe(
      400,
    );
    expect(await send("PATCH", "/products/a%00b", JSON.stringify({ name: "x" }))).toBe(404);
    expect(await send("DELETE", "/keys/%00")).toBe(404);
    const lone = JSON.stringify({ delta: 1, reason: "\ud800" });
    expect(await send("POST", "/products/mooncake/stock", lone)).toBe(400);
    const url = JSON.stringify({ imageUrl: "https://example.com/\ud800" });
    expect(await send("PATCH", "/products/mooncake", url)).toBe(400);
    expect(await kit.auditCount()).toBe(before);
  });

  it.each(writes.map((w, i) => [i, w] as const))(
    "write %i never answers 5xx",
    async (_i, [method, path, body]) => {
      await fc.assert(
        fc.asyncProperty(anyJson, async (v) => {
          await send(method, path(v), JSON.stringify(body(v)));
        }),
        { numRuns: 40 },
      );
    },
  );

  it("paths, queries and bodies of any shape", async () => {
    await fc.assert(
      fc.asyncProperty(hostile, async (v) => {
        const e = encodeURIComponent(Buffer.from(v).toString()); // lone surrogates → U+FFFD
        await send("DELETE", `/keys/${e}`);
        await send("PATCH", `/products/${e}`, "{}");
        await send("POST", `/products/${e}/stock`, JSON.stringify({ delta: 1, reason: "r" }));
        await send("POST", `/anomalies/${e}/resolve`, JSON.stringify({ note: "n" }));
        await send("GET", `/audit?cursor=${e}&limit=${e}`);
        await send("GET", `/anomalies?kind=${e}&resolved=${e}&cursor=${e}`);
        await send("POST", "/products", v, "application/json");
        await send("POST", "/keys", v, "text/plain");
      }),
      { numRuns: 40 },
    );
    expect(await send("GET", "/anomalies?kind=a&kind=b")).toBe(400);
    expect(await send("GET", "/audit?limit=1&limit=2")).toBe(400);
  });
});
