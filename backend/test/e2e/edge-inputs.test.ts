/**
 * Edges the main suites do not reach: WeChat login failures (busy, quota, blocked), the per-user
 * verify rate limit, and hostile bodies on the v2 notify endpoint (XXE, forged sign, wrong
 * merchant), each a 4xx/503 with a stable code and no change to stored orders.
 */
import crypto from "node:crypto";
import {
  idemKey,
  payingOrder,
  startStack,
  startTestSandbox,
  type Sandbox,
  type Stack,
} from "../helpers/sandbox-stack";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox.close());

describe("login failures from WeChat", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(sandbox, "v3-public-key");
  });
  afterAll(() => stack.close());
  afterEach(() => stack.sb.clearScenarios());

  it.each([
    [-1 as const, 503, "WECHAT_BUSY"],
    [45011 as const, 503, "WECHAT_BUSY"],
    [40226 as const, 403, "LOGIN_BLOCKED"],
  ])("errcode %i → %i %s", async (errcode, status, code) => {
    await stack.sb.scenario({ action: "login_error", errcode });
    const c = await stack.sb.loginCode(stack.merchant.credentials.appid);
    const r = await fetch(`${stack.h.url}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: c.code }),
    });
    const body: any = await r.json();
    expect(r.status).toBe(status);
    expect(body.error.code).toBe(code);
    if (status === 503) {
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
      // WeChat was busy, the code was not spent: the same code works once WeChat recovers.
      await stack.sb.clearScenarios();
      const again = await stack.api("POST", "/api/v1/session", { body: { code: c.code } });
      expect(again.status).toBe(200);
    }
  });
});

describe("verify is rate limited per user", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(sandbox, "v3-public-key", { verifyPerMinute: 2 });
  });
  afterAll(() => stack.close());

  it("the third verify in a minute → 429 RATE_LIMITED, another user is unaffected", async () => {
    const { token } = await stack.login();
    const o = await stack.api("POST", "/api/v1/orders", {
      token,
      body: { items: [{ productId: "test-1-fen", quantity: 1 }] },
      headers: { "idempotency-key": idemKey() },
    });
    for (let i = 0; i < 2; i++)
      expect((await stack.api("POST", `/api/v1/orders/${o.body.id}/verify`, { token })).status).toBe(200);
    const third = await stack.api("POST", `/api/v1/orders/${o.body.id}/verify`, { token });
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe("RATE_LIMITED");
    const other = await stack.login();
    const theirs = await stack.api("POST", "/api/v1/orders", {
      token: other.token,
      body: { items: [{ productId: "test-1-fen", quantity: 1 }] },
      headers: { "idempotency-key": idemKey() },
    });
    expect(
      (await stack.api("POST", `/api/v1/orders/${theirs.body.id}/verify`, { token: other.token })).status,
    ).toBe(200);
  });
});

describe("hostile bodies on the v2 notify endpoint", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(sandbox, "v2-md5");
  });
  afterAll(() => stack.close());

  const post = (body: string, path = "/notify/wechat/v2/pay") =>
    fetch(`${stack.h.url}${path}`, { method: "POST", headers: { "content-type": "text/xml" }, body }).then(
      async (r) => ({
        status: r.status,
        text: await r.text(),
      }),
    );
  const sign = (fields: Record<string, string>, key: string) => {
    const s =
      Object.keys(fields)
        .filter((k) => fields[k] !== "")
        .sort()
        .map((k) => `${k}=${fields[k]}`)
        .join("&") + `&key=${key}`;
    return crypto.createHash("md5").update(s).digest("hex").toUpperCase();
  };
  const xml = (f: Record<string, string>) =>
    `<xml>${Object.entries(f)
      .map(([k, v]) => `<${k}><![CDATA[${v}]]></${k}>`)
      .join("")}</xml>`;

  it("refuses XXE, malformed XML, a forged sign and another merchant's notify; no order changes", async () => {
    const { token } = await stack.login();
    const o = await stack.api("POST", "/api/v1/orders", {
      token,
      body: { items: [{ productId: "mooncake", quantity: 1 }] },
      headers: { "idempotency-key": idemKey() },
    });
    await stack.api("POST", `/api/v1/orders/${o.body.id}/payments`, { token, body: { method: "jsapi" } });
    const c = stack.merchant.credentials;
    const genuine = {
      return_code: "SUCCESS",
      result_code: "SUCCESS",
      appid: c.appid,
      mch_id: c.mchid,
      nonce_str: "n1",
      out_trade_no: o.body.outTradeNo,
      total_fee: String(o.body.totalFen),
      transaction_id: "4200000000000000000000000001",
      time_end: "20261124120000",
    };
    const xxe = await post(
      `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><a>&x;</a></xml>`,
    );
    expect(xxe.status).toBe(400);
    expect(xxe.text).toContain("<return_code><![CDATA[FAIL]]></return_code>");
    expect(xxe.text).not.toContain("root:");
    expect((await post("<xml><a>1</xml>")).status).toBe(400);
    const forged = await post(xml({ ...genuine, sign: sign(genuine, "not-the-merchant-key-0000000000") }));
    expect(forged.status).toBe(401);
    const otherMerchant = { ...genuine, mch_id: "1900009999" };
    expect((await post(xml({ ...otherMerchant, sign: sign(otherMerchant, c.v2!.key) }))).status).toBe(401);
    expect((await post("{}", "/notify/wechat/v3/pay")).status).toBe(404); // a v2 merchant has no v3 endpoint
    const after = await stack.api("GET", `/api/v1/orders/${o.body.id}`, { token });
    expect(after.body.state).toBe("paying");
    const reasons = await stack.h.ds.query(
      `SELECT reason FROM notify_log WHERE outcome = 'rejected' ORDER BY id`,
    );
    expect(reasons.map((r: any) => r.reason)).toEqual([
      "malformed",
      "malformed",
      "bad_signature",
      "wrong_merchant",
      "wrong_api_version",
    ]);
    // And the genuine one, signed with the merchant's key, is applied.
    const ok = await post(xml({ ...genuine, sign: sign(genuine, c.v2!.key) }));
    expect(ok.status).toBe(200);
    expect(ok.text).toContain("<return_code><![CDATA[SUCCESS]]></return_code>");
    expect((await stack.api("GET", `/api/v1/orders/${o.body.id}`, { token })).body.state).toBe("paid");
  });
});

describe("paying twice and WeChat failing", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(sandbox, "v3-platform-cert");
  });
  afterAll(() => stack.close());
  afterEach(() => stack.sb.clearScenarios());

  it("asking to pay a paid order → 409 ORDER_ALREADY_PAID", async () => {
    const { token, openid, order, prepayId } = await payingOrder(stack, {
      productId: "test-1-fen",
      quantity: 3,
    });
    await stack.sb.pay({ prepay_id: prepayId, openid, outcome: "SUCCESS" });
    expect((await stack.api("POST", `/api/v1/orders/${order.id}/verify`, { token })).body.state).toBe("paid");
    const again = await stack.api("POST", `/api/v1/orders/${order.id}/payments`, {
      token,
      body: { method: "jsapi" },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("ORDER_ALREADY_PAID");
  });

  it.each(["http_500", "SYSTEMERROR"] as const)(
    "orderquery failing with %s → 502 UPSTREAM_ERROR, order unchanged",
    async (mode) => {
      const { token, order } = await payingOrder(stack, { productId: "test-1-fen", quantity: 3 });
      await stack.sb.scenario({
        match: { out_trade_no: order.outTradeNo },
        action: "query_error",
        mode,
      });
      const r = await stack.api("POST", `/api/v1/orders/${order.id}/verify`, { token });
      expect(r.status).toBe(502);
      expect(r.body.error.code).toBe("UPSTREAM_ERROR");
      expect(JSON.stringify(r.body)).not.toMatch(/SYSTEM_ERROR|stack|at /);
      await stack.sb.clearScenarios();
      expect((await stack.api("POST", `/api/v1/orders/${order.id}/verify`, { token })).body.state).toBe(
        "paying",
      );
    },
  );
});
