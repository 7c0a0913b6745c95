/**
 * Several merchants in one backend (one v2, two v3 accounts of the sandbox): each shopper sees
 * only their merchant's products and orders, each merchant's notifies arrive at its own URL and
 * are verified with its own keys, a genuine notify of one merchant is refused at another's URL, and
 * one sweeper pass serves every merchant.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { merchantIdFor } from "../../src/merchants/secrets";
import type { MerchantSeed } from "../../src/merchants/sources";
import {
  eventually,
  payingOrder,
  startStack,
  startTestSandbox,
  type Sandbox,
  type Stack,
} from "../helpers/sandbox-stack";

/** Sits between the sandbox and the backend: records each notify and, while `forward` is on, passes it on. */
interface Captured {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}
function captureProxy() {
  const captured: Captured[] = [];
  let target = "";
  let forward = true;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    captured.push({ path: req.url!, headers, body });
    if (!forward) {
      res.writeHead(503).end("held by the test");
      return;
    }
    const r = await fetch(target + req.url, { method: "POST", headers, body });
    res.writeHead(r.status, { "content-type": r.headers.get("content-type") ?? "text/plain" });
    res.end(Buffer.from(await r.arrayBuffer()));
  });
  return {
    captured,
    server,
    setTarget: (t: string) => (target = t),
    setForward: (f: boolean) => (forward = f),
  };
}

let sandbox: Sandbox;
let stack: Stack;
let proxy: ReturnType<typeof captureProxy>;
let proxyUrl: string;
let clock = 0; // ms added to the real time, so the sweeper's "older than a minute" can be reached
let v2: MerchantSeed, v3a: MerchantSeed, v3b: MerchantSeed;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  proxy = captureProxy();
  await new Promise<void>((r) => proxy.server.listen(0, "127.0.0.1", () => r()));
  proxyUrl = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
  stack = await startStack(sandbox, ["v2-hmac", "v3-public-key", "v3-platform-cert"], {
    now: () => new Date(Date.now() + clock),
    publicBaseUrl: () => proxyUrl,
  });
  proxy.setTarget(stack.h.url);
  [v2, v3a, v3b] = stack.merchants as [MerchantSeed, MerchantSeed, MerchantSeed];
});
afterAll(async () => {
  await stack.close();
  proxy.server.closeAllConnections();
  await new Promise<void>((r) => proxy.server.close(() => r()));
  await sandbox.close();
});
afterEach(async () => {
  proxy.setForward(true);
  await stack.sb.clearScenarios();
});

/** A paying order of `m` that the sandbox pays, its notify captured (and held back) by the proxy. */
async function paidButHeld(m: MerchantSeed) {
  const p = await payingOrder(stack, undefined, m);
  proxy.setForward(false);
  const before = proxy.captured.length;
  await stack.sb.pay({ prepay_id: p.prepayId, openid: p.openid, outcome: "SUCCESS" });
  // The sandbox still retries notifies earlier tests held back, so pick this order's own notify.
  const genuine = await eventually(async () =>
    proxy.captured
      .slice(before)
      .find((c) => c.path.includes(idOf(m)) && tradeNoIn(m, c) === p.order.outTradeNo),
  );
  return { p, genuine };
}

/** The out_trade_no a captured notify carries (v3: decrypted with the merchant's APIv3 key). */
function tradeNoIn(m: MerchantSeed, c: Captured): string | null {
  const text = c.body.toString("utf8");
  if (m.credentials.apiVersion === "v2")
    return /<out_trade_no>(?:<!\[CDATA\[)?([^<\]]*)/.exec(text)?.[1] ?? null;
  try {
    const { resource } = JSON.parse(text);
    const data = Buffer.from(resource.ciphertext, "base64");
    const d = crypto.createDecipheriv("aes-256-gcm", Buffer.from(m.credentials.v3!.apiV3Key), resource.nonce);
    d.setAuthTag(data.subarray(data.length - 16));
    d.setAAD(Buffer.from(resource.associated_data ?? ""));
    const plain = Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]).toString("utf8");
    return JSON.parse(plain).out_trade_no ?? null;
  } catch {
    return null;
  }
}

/** Post captured notify bytes, exactly as WeChat sent them, to a URL of the backend. */
const replay = (c: Captured, url: string) => fetch(url, { method: "POST", headers: c.headers, body: c.body });

const idOf = (m: MerchantSeed) => merchantIdFor(m.credentials.mchid);

async function state(orderId: string): Promise<string> {
  return (await stack.h.ds.query(`SELECT state FROM orders WHERE id = $1`, [orderId]))[0].state;
}

describe("which merchant a shopper belongs to", () => {
  it("login names the app; without an appid, an unknown or a malformed one it is refused with a stable code", async () => {
    const code = (await stack.sb.loginCode(v2.credentials.appid)).code;
    const none = await stack.api("POST", "/api/v1/session", { body: { code } });
    expect(none.status).toBe(400);
    expect(none.body.error.code).toBe("APP_UNKNOWN");
    const unknown = await stack.api("POST", "/api/v1/session", {
      body: { code, appid: "wx0123456789abcdef" },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe("APP_UNKNOWN");
    const malformed = await stack.api("POST", "/api/v1/session", { body: { code, appid: "not-an-appid" } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe("VALIDATION_FAILED");
    // None of those consumed the code: it still logs in to its own app.
    const ok = await stack.api("POST", "/api/v1/session", { body: { code, appid: v2.credentials.appid } });
    expect(ok.status).toBe(200);
  });

  it("config and products are per app (by appid before login, by session after)", async () => {
    await stack.h.db.repos.products.insertMissing(idOf(v3a), [
      { id: "v3a-only", name: "Only at A", description: "", priceFen: 500, stock: 5, sort: 9 },
    ]);
    const cfgA = await stack.api("GET", `/api/v1/config?appid=${v3a.credentials.appid}`);
    expect(cfgA.body.appid).toBe(v3a.credentials.appid);
    expect((await stack.api("GET", "/api/v1/config")).body.error.code).toBe("APP_UNKNOWN");
    const ids = async (q: string, token?: string) =>
      ((await stack.api("GET", `/api/v1/products${q}`, { token })).body.products as { id: string }[]).map(
        (p) => p.id,
      );
    expect(await ids(`?appid=${v3a.credentials.appid}`)).toContain("v3a-only");
    expect(await ids(`?appid=${v2.credentials.appid}`)).not.toContain("v3a-only");
    const b = await stack.login(undefined, v2);
    expect(await ids("", b.token)).not.toContain("v3a-only");
    const order = await stack.order(b.token, "v3a-only", 1);
    expect(order.status).toBe(400);
    expect(order.body.error.code).toBe("PRODUCT_NOT_FOUND");
    const quote = await stack.api("POST", `/api/v1/quotes?appid=${v2.credentials.appid}`, {
      body: { items: [{ productId: "v3a-only", quantity: 1 }] },
    });
    expect(quote.body.error.code).toBe("PRODUCT_NOT_FOUND");
  });

  it("another merchant's order is not found (read, pay, verify), and nothing changes", async () => {
    const a = await payingOrder(stack, undefined, v3a);
    const b = await stack.login(undefined, v2);
    for (const [method, path, body] of [
      ["GET", `/api/v1/orders/${a.order.id}`, undefined],
      ["POST", `/api/v1/orders/${a.order.id}/payments`, { method: "jsapi" }],
      ["POST", `/api/v1/orders/${a.order.id}/verify`, undefined],
    ] as const) {
      const r = await stack.api(method, path, { token: b.token, body });
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe("ORDER_NOT_FOUND");
    }
    expect((await stack.api("GET", "/api/v1/orders", { token: b.token })).body.orders).toEqual([]);
    expect(await state(a.order.id)).toBe("paying");
  });
});

describe("notifies", () => {
  it("each merchant's orders are paid through its own notify URL", async () => {
    for (const m of [v2, v3a, v3b]) {
      const p = await payingOrder(stack, undefined, m);
      await stack.sb.pay({
        prepay_id: p.prepayId,
        openid: p.openid,
        outcome: "SUCCESS",
      });
      await eventually(async () => (await state(p.order.id)) === "paid");
      const paths = proxy.captured.map((c) => c.path);
      expect(paths).toContain(`/notify/wechat/${idOf(m)}/${m.credentials.apiVersion}/pay`);
      const log = await stack.h.ds.query(
        `SELECT merchant_id, outcome FROM notify_log WHERE out_trade_no = $1 ORDER BY id`,
        [p.order.outTradeNo],
      );
      expect(log[0]).toEqual({ merchant_id: idOf(m), outcome: "applied" });
    }
  });

  it.each([
    ["v3-public-key", "v3-platform-cert"],
    ["v2-hmac", "v3-public-key"],
    ["v3-public-key", "v2-hmac"],
  ])("a genuine notify of %s posted to %s's URLs is refused and changes nothing", async (from, to) => {
    const src = stack.merchants.find((m) => m.name === from)!;
    const dst = stack.merchants.find((m) => m.name === to)!;
    const { p, genuine } = await paidButHeld(src);
    for (const version of ["v2", "v3"]) {
      const r = await replay(genuine, `${stack.h.url}/notify/wechat/${idOf(dst)}/${version}/pay`);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    expect(await state(p.order.id)).toBe("paying");
    const anomalies = await stack.h.ds.query(`SELECT count(*)::int AS n FROM anomalies WHERE order_id = $1`, [
      p.order.id,
    ]);
    expect(anomalies[0].n).toBe(0);
    // The same bytes at the right merchant's URL are accepted: the refusal was about the merchant.
    const right = await replay(genuine, `${stack.h.url}${genuine.path}`);
    expect(right.ok).toBe(true); // v2 answers 200 with XML, v3 204
    expect(await state(p.order.id)).toBe("paid");
  });

  it("an unknown merchant id in the notify URL is a 404 before the body is read", async () => {
    const r = await fetch(`${stack.h.url}/notify/wechat/mch_0000000000/v3/pay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "x".repeat(200_000), // over the body limit: a read would answer 413
    });
    expect(r.status).toBe(404);
  });

  it("the legacy URL without a merchant id serves the oldest merchant", async () => {
    const { p, genuine } = await paidButHeld(v2);
    const r = await replay(genuine, `${stack.h.url}/notify/wechat/v2/pay`);
    expect(r.status).toBe(200);
    expect(await state(p.order.id)).toBe("paid");
  });
});

describe("the sweeper", () => {
  it("one pass recovers lost notifies of every merchant, each asked with its own credentials", async () => {
    const orders = [];
    for (const m of [v2, v3a, v3b]) {
      const p = await payingOrder(stack, undefined, m);
      await stack.sb.scenario({
        match: { out_trade_no: p.order.outTradeNo },
        action: "drop_notify",
      });
      await stack.sb.pay({
        prepay_id: p.prepayId,
        openid: p.openid,
        outcome: "SUCCESS",
      });
      orders.push(p.order.id);
    }
    clock += 2 * 60_000;
    const r = await stack.h.sweeper.runOnce();
    expect(r.queried).toBeGreaterThanOrEqual(3);
    for (const id of orders) expect(await state(id)).toBe("paid");
    const sources = await stack.h.ds.query(
      `SELECT DISTINCT source FROM order_events WHERE order_id = ANY($1) AND to_state = 'paid'`,
      [orders],
    );
    expect(sources).toEqual([{ source: "sweeper" }]);
  });
});
