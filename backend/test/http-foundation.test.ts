import { ERRORS } from "@minipay/shared";
import { startHarness, type Harness } from "./helpers/harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ bodyLimit: 1024 });
});
afterAll(() => h.close());

async function call(path: string, init?: RequestInit) {
  const res = await fetch(h.url + path, init);
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, headers: res.headers };
}

/** A raw POST /api/v1/session with this content type and body. */
const postSession = (contentType: string, body: string) =>
  call("/api/v1/session", { method: "POST", headers: { "content-type": contentType }, body });

describe("HTTP foundation", () => {
  it("answers healthz and readyz", async () => {
    expect((await call("/healthz")).body).toEqual({ status: "ok" });
    const r = await call("/readyz");
    expect(r.status).toBe(200);
    expect(r.body.status).toBe("ready");
  });

  it("unknown route → JSON 404 with a stable code and a request id", async () => {
    const r = await call("/nope");
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe("NOT_FOUND");
    expect(r.body.error.requestId).toBe(r.headers.get("x-request-id"));
  });

  it("malformed JSON → 400 MALFORMED_JSON, no stack trace", async () => {
    const r = await postSession("application/json", '{"code": ');
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("MALFORMED_JSON");
    expect(JSON.stringify(r.body)).not.toMatch(/at .*\.ts/);
  });

  it("a body over the limit → 413 BODY_TOO_LARGE", async () => {
    const r = await postSession("application/json", JSON.stringify({ code: "x".repeat(5000) }));
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe("BODY_TOO_LARGE");
  });

  it("wrong content type → 415, schema violations → 400 with the failing path", async () => {
    const a = await postSession("text/plain", "hi");
    expect(a.status).toBe(415);
    expect(a.body.error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    const b = await postSession("application/json", JSON.stringify({ code: 5 }));
    expect(b.status).toBe(400);
    expect(b.body.error.code).toBe("VALIDATION_FAILED");
    expect(b.body.error.details[0].path).toBe("code");
  });

  it("wrong method → 405 METHOD_NOT_ALLOWED", async () => {
    const r = await call("/api/v1/products", { method: "DELETE" });
    expect(r.status).toBe(405);
    expect(r.body.error.code).toBe("METHOD_NOT_ALLOWED");
  });

  it("answers in Chinese when asked", async () => {
    const r = await call("/nope", { headers: { "accept-language": "zh-CN" } });
    expect(r.body.error.message).toBe(ERRORS.NOT_FOUND.zh);
  });

  it("protected routes need a token", async () => {
    const r = await call("/api/v1/orders");
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe("UNAUTHENTICATED");
    const s = await call("/api/v1/orders", { headers: { authorization: "Bearer not-a-real-token" } });
    expect(s.body.error.code).toBe("UNAUTHENTICATED");
  });

  it("logs one line per request without the Authorization header or an openid in clear", async () => {
    const secretToken = "tok_" + "A".repeat(40);
    const openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
    await call(`/api/v1/orders?openid=${openid}`, { headers: { authorization: `Bearer ${secretToken}` } });
    h.logger.info({ openid, user: { openid } }, "an object that carries an openid");
    await new Promise((r) => setImmediate(r));
    const all = h.logs.join("");
    expect(all).toContain('"path":"/api/v1/orders"');
    expect(all).not.toContain(secretToken);
    expect(all).not.toContain(openid);
    const line = h.logs.map((l) => JSON.parse(l)).find((l) => l.path === "/api/v1/orders");
    expect(line).toMatchObject({ method: "GET", status: 401 });
    expect(typeof line.ms).toBe("number");
    expect(typeof line.reqId).toBe("string");
  });

  it("serves the product catalogue in fen", async () => {
    const r = await call("/api/v1/products");
    expect(r.status).toBe(200);
    expect(r.body.products.length).toBeGreaterThan(0);
    for (const p of r.body.products) expect(Number.isInteger(p.priceFen)).toBe(true);
  });
});
