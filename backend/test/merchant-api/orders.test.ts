/**
 * Payment-centre mode over real HTTP against the sandbox and a real PostgreSQL: a merchant's server
 * creates orders with an API key (jsapi params whose paySign is verified here independently,
 * native code_url paid through the sandbox), reads and closes them by its own number; the same
 * number replays, a different body conflicts; keys of other merchants and keys without the scope
 * get nowhere; bad inputs are 4xx with stable codes.
 */
import crypto from "node:crypto";
import { MerchantOrder } from "@minipay/shared";
import { merchantIdFor } from "../../src/merchants/secrets";
import type { MerchantSeed } from "../../src/merchants/sources";
import { callJson } from "../helpers/http";
import { eventually, useSandbox, useStack, type Stack } from "../helpers/sandbox-stack";
import { createOrder, idem, keyFor, merchantCall, orderNo, testResolver } from "./kit";

const sandbox = useSandbox();
// v3 (RSA paySign) first, then v2 with MD5 and with HMAC-SHA256.
// As in production (no ALLOW_PRIVATE_WEBHOOKS): https to public addresses only.
const stack = useStack(sandbox, ["v3-public-key", "v2-md5", "v2-hmac"], {
  webhooks: { allowPrivate: false, resolver: testResolver },
});

/** Independent paySign check (docs/wechatpay-spec.md §2.10 for v2, §3.9 for v3). */
function paySignVerifies(m: MerchantSeed, params: Record<string, string>): boolean {
  const c = m.credentials;
  if (c.apiVersion === "v3") {
    const msg = `${c.appid}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`;
    return (
      params.signType === "RSA" &&
      crypto.verify(
        "sha256",
        Buffer.from(msg),
        crypto.createPublicKey(c.v3!.privateKeyPem),
        Buffer.from(params.paySign!, "base64"),
      )
    );
  }
  const fields: Record<string, string> = {
    appId: c.appid,
    nonceStr: params.nonceStr!,
    package: params.package!,
    signType: params.signType!,
    timeStamp: params.timeStamp!,
  };
  const s =
    Object.keys(fields)
      .sort()
      .map((k) => `${k}=${fields[k]}`)
      .join("&") + `&key=${c.v2!.key}`;
  const expected =
    c.v2!.signType === "HMAC-SHA256"
      ? crypto.createHmac("sha256", c.v2!.key).update(s).digest("hex").toUpperCase()
      : crypto.createHash("md5").update(s).digest("hex").toUpperCase();
  return params.signType === c.v2!.signType && params.paySign === expected;
}

const nativeBody = (extra: Record<string, unknown> = {}) => ({
  merchantOrderNo: orderNo(),
  amountFen: 1234,
  description: "会员充值 Membership top-up",
  method: "native",
  ...extra,
});

async function payerOf(s: Stack, m: MerchantSeed): Promise<string> {
  return (await s.sb.loginCode(m.credentials.appid)).openid;
}

describe("merchant orders (/merchant/v1)", () => {
  let key: string;
  let call: ReturnType<typeof merchantCall>;
  beforeAll(async () => {
    key = await keyFor(stack, stack.merchants[0]!);
    call = merchantCall(stack, key);
  });

  it("native: code_url and a PNG QR; the sandbox pays by code_url; GET shows paid", async () => {
    const body = nativeBody({ attach: "batch=7", notifyUrl: "https://merchant.example/hooks/minipay" });
    const r = await createOrder(call, body);
    expect(r.status).toBe(201);
    const order = MerchantOrder.parse(r.body);
    expect(order).toMatchObject({
      merchantOrderNo: body.merchantOrderNo,
      method: "native",
      state: "paying",
      amountFen: 1234,
      attach: "batch=7",
      notifyUrl: "https://merchant.example/hooks/minipay",
      checkoutUrl: null,
    });
    if (order.payment?.method !== "native") throw new Error("expected a native payment");
    expect(order.payment.codeUrl).toMatch(/^weixin:\/\//);
    expect(order.payment.qrDataUrl).toMatch(/^data:image\/png;base64,/);

    await stack.sb.pay({ code_url: order.payment.codeUrl, outcome: "SUCCESS" });
    const paid = await eventually(async () => {
      const g = await call("GET", `/orders/${body.merchantOrderNo}`);
      return g.status === 200 && g.body.state === "paid" ? g.body : null;
    }, 20_000);
    expect(paid.transactionId).toBeTruthy();
    expect(paid.paidAt).toBeTruthy();
    expect(paid.payment).toBeUndefined(); // reads are cheap: no pay params

    // The admin API sees it as a merchant-API order with no shopper and no lines.
    const admin = await adminCall("GET", `/admin/v1/orders/${order.orderId}`);
    expect(admin.status).toBe(200);
    expect(admin.body).toMatchObject({ source: "merchant_api", userId: null, items: [], state: "paid" });
    // Replaying the create of a paid order gives the order, with nothing left to pay.
    const again = await createOrder(call, body);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ orderId: order.orderId, state: "paid", payment: null });
  });

  const adminCall = (method: string, path: string) => callJson(stack.h.url, method, path, { token: key });

  it.each([0, 1, 2])("jsapi (merchant %#): requestPayment params whose paySign verifies", async (i) => {
    const m = stack.merchants[i]!;
    const mcall = merchantCall(stack, await keyFor(stack, m, ["orders:write", "orders:read"]));
    const body = {
      merchantOrderNo: orderNo(),
      amountFen: 88,
      description: "咖啡 Coffee",
      method: "jsapi",
      payerOpenid: await payerOf(stack, m),
    };
    const r = await createOrder(mcall, body);
    expect(r.status).toBe(201);
    const order = MerchantOrder.parse(r.body);
    if (order.payment?.method !== "jsapi") throw new Error("expected jsapi params");
    expect(order.payment.params.package).toMatch(/^prepay_id=/);
    expect(paySignVerifies(m, order.payment.params)).toBe(true);
    // A tampered package no longer verifies: the check above can fail.
    expect(paySignVerifies(m, { ...order.payment.params, package: "prepay_id=wx0" })).toBe(false);
    expect(JSON.stringify(r.body)).not.toContain(body.payerOpenid); // no openid handed back
    // The same create again reuses the live prepay.
    const again = await createOrder(mcall, body);
    expect(again.status).toBe(200);
    expect(again.body.payment.params.package).toBe(order.payment.params.package);
  });

  it("same number + same body → the same order (200); different body → 409 MERCHANT_ORDER_CONFLICT", async () => {
    const body = nativeBody();
    const first = await createOrder(call, body);
    expect(first.status).toBe(201);
    const same = await createOrder(call, body); // a new key, the same number and body
    expect(same.status).toBe(200);
    expect(same.body.orderId).toBe(first.body.orderId);
    expect(same.body.payment.codeUrl).toBe(first.body.payment.codeUrl);

    const other = await createOrder(call, { ...body, amountFen: 1235 });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe("MERCHANT_ORDER_CONFLICT");
    const otherMethod = await createOrder(call, { ...body, method: "h5page" });
    expect(otherMethod.body.error.code).toBe("MERCHANT_ORDER_CONFLICT");

    // One Idempotency-Key names one request: reused for another number it is refused.
    const k = idem();
    expect((await createOrder(call, nativeBody(), k)).status).toBe(201);
    const reused = await createOrder(call, nativeBody(), k);
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe("IDEMPOTENCY_KEY_REUSED");

    // Concurrent identical creates make one order.
    const racing = nativeBody();
    const all = await Promise.all([1, 2, 3, 4].map(() => createOrder(call, racing)));
    expect(all.map((a) => a.status).sort()).toEqual([200, 200, 200, 201]);
    expect(new Set(all.map((a) => a.body.orderId)).size).toBe(1);
    const [{ n }] = await stack.h.ds.query(
      `SELECT count(*)::int AS n FROM merchant_orders WHERE merchant_order_no = $1`,
      [racing.merchantOrderNo],
    );
    expect(n).toBe(1);
  });

  it("close: an unpaid order closes (the admin rules, audited); a paid one is ORDER_NOT_CLOSABLE", async () => {
    const body = nativeBody();
    expect((await createOrder(call, body)).status).toBe(201);
    const closed = await call("POST", `/orders/${body.merchantOrderNo}/close`);
    expect(closed.status).toBe(200);
    expect(closed.body.state).toBe("closed");
    expect((await call("GET", `/orders/${body.merchantOrderNo}`)).body.state).toBe("closed");
    const again = await call("POST", `/orders/${body.merchantOrderNo}/close`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("ORDER_NOT_CLOSABLE");
    const [{ n }] = await stack.h.ds.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'order.close' AND target_id = $1`,
      [closed.body.orderId],
    );
    expect(n).toBe(1);
  });

  it("h5page: the answer is the hosted checkout URL, a 256-bit token that says nothing of the order", async () => {
    const body = nativeBody({ method: "h5page", returnUrl: "https://merchant.example/done" });
    const r = await createOrder(call, body);
    expect(r.status).toBe(201);
    const url = new URL(r.body.payment.checkoutUrl);
    expect(url.origin).toBe(stack.h.url);
    const token = url.pathname.split("/").pop()!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const v of [r.body.orderId, r.body.outTradeNo, body.merchantOrderNo]) expect(token).not.toContain(v);
    expect(r.body.checkoutUrl).toBe(r.body.payment.checkoutUrl);
    // Stored only as a hash.
    const rows = await stack.h.ds.query(
      `SELECT checkout_token_hash FROM merchant_orders WHERE order_id = $1`,
      [r.body.orderId],
    );
    expect(rows[0].checkout_token_hash).toBe(crypto.createHash("sha256").update(token).digest("hex"));
    expect(JSON.stringify(rows)).not.toContain(token);
    const status = await fetch(`${stack.h.url}/pay/${token}/status`).then((s) => s.json());
    expect(status).toEqual({
      state: "created",
      phase: "pending",
      returnUrl: "https://merchant.example/done",
    });
    // A token one character off is unknown.
    const off = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
    expect((await fetch(`${stack.h.url}/pay/${off}/status`)).status).toBe(404);
    expect((await fetch(`${stack.h.url}/pay/${off}`)).status).toBe(404);
    expect((await fetch(`${stack.h.url}/pay/${token}`)).status).toBe(200);
    // The access log has the page's requests, with the token cut short.
    const log = stack.h.logs.join("");
    expect(log).toContain(`/pay/${token.slice(0, 4)}…/status`);
    expect(log).not.toContain(token);
  });

  it("another merchant's key: its orders are not found, and its numbers are its own", async () => {
    const body = nativeBody();
    expect((await createOrder(call, body)).status).toBe(201);
    const other = merchantCall(stack, await keyFor(stack, stack.merchants[1]!));
    for (const [method, path] of [
      ["GET", `/orders/${body.merchantOrderNo}`],
      ["POST", `/orders/${body.merchantOrderNo}/close`],
    ] as const) {
      const r = await other(method, path);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe("RESOURCE_NOT_FOUND");
    }
    expect((await call("GET", `/orders/${body.merchantOrderNo}`)).body.state).toBe("paying");
    // The same number at the other merchant is a different order of its own.
    const theirs = await createOrder(other, body);
    expect(theirs.status).toBe(201);
    const mine = await call("GET", `/orders/${body.merchantOrderNo}`);
    expect(theirs.body.orderId).not.toBe(mine.body.orderId);
    const [{ m }] = await stack.h.ds.query(`SELECT merchant_id AS m FROM orders WHERE id = $1`, [
      theirs.body.orderId,
    ]);
    expect(m).toBe(merchantIdFor(stack.merchants[1]!.credentials.mchid));
  });

  it("scopes: no key 401, a key without orders:write / orders:read 403 with the scope named", async () => {
    const anon = merchantCall(stack, null);
    expect((await createOrder(anon, nativeBody())).status).toBe(401);
    const readOnly = merchantCall(stack, await keyFor(stack, stack.merchants[0]!, ["orders:read"]));
    const w = await createOrder(readOnly, nativeBody());
    expect(w.status).toBe(403);
    expect(w.body.error).toMatchObject({ code: "FORBIDDEN", details: { requiredScope: "orders:write" } });
    const body = nativeBody();
    expect((await createOrder(call, body)).status).toBe(201);
    const c = await readOnly("POST", `/orders/${body.merchantOrderNo}/close`);
    expect(c.status).toBe(403);
    const writeOnly = merchantCall(stack, await keyFor(stack, stack.merchants[0]!, ["orders:write"]));
    const g = await writeOnly("GET", `/orders/${body.merchantOrderNo}`);
    expect(g.status).toBe(403);
    expect(g.body.error.details).toEqual({ requiredScope: "orders:read" });
    expect((await readOnly("GET", `/orders/${body.merchantOrderNo}`)).status).toBe(200);
  });

  it.each([
    ["amount 0", { amountFen: 0 }, "VALIDATION_FAILED", "amountFen"],
    ["amount over the maximum", { amountFen: 10_000_001 }, "VALIDATION_FAILED", "amountFen"],
    ["amount not an integer", { amountFen: 1.5 }, "VALIDATION_FAILED", "amountFen"],
    ["amount as a string", { amountFen: "100" }, "VALIDATION_FAILED", "amountFen"],
    ["empty description", { description: "  " }, "VALIDATION_FAILED", "description"],
    ["description over 127 bytes", { description: "支".repeat(43) }, "VALIDATION_FAILED", "description"],
    ["control character", { description: "a\u0000b" }, "VALIDATION_FAILED", "description"],
    ["unknown method", { method: "app" }, "VALIDATION_FAILED", "method"],
    ["jsapi without payerOpenid", { method: "jsapi" }, "VALIDATION_FAILED", "payerOpenid"],
    ["payerOpenid for native", { payerOpenid: "oABCDEF123456" }, "VALIDATION_FAILED", "payerOpenid"],
    ["bad merchant number", { merchantOrderNo: "no spaces" }, "VALIDATION_FAILED", "merchantOrderNo"],
    ["expiry 0 minutes", { expiresInMinutes: 0 }, "VALIDATION_FAILED", "expiresInMinutes"],
    ["unknown field", { tip: 1 }, "VALIDATION_FAILED", ""],
    ["notifyUrl not a URL", { notifyUrl: "merchant.example" }, "VALIDATION_FAILED", "notifyUrl"],
    ["returnUrl javascript:", { returnUrl: "javascript:alert(1)" }, "VALIDATION_FAILED", "returnUrl"],
    ["notifyUrl http", { notifyUrl: "http://merchant.example/h" }, "MERCHANT_URL_NOT_ALLOWED", null],
    ["returnUrl http loopback", { returnUrl: "http://127.0.0.1/r" }, "MERCHANT_URL_NOT_ALLOWED", null],
    ["returnUrl data:", { returnUrl: "data:text/html,<b>x</b>" }, "VALIDATION_FAILED", "returnUrl"],
    ["notifyUrl 10.x", { notifyUrl: "https://10.0.0.8/h" }, "MERCHANT_URL_NOT_ALLOWED", null],
    ["notifyUrl 127.x", { notifyUrl: "https://127.0.0.1/h" }, "MERCHANT_URL_NOT_ALLOWED", null],
    ["notifyUrl 169.254.x", { notifyUrl: "https://169.254.169.254/h" }, "MERCHANT_URL_NOT_ALLOWED", null],
    ["notifyUrl ::1", { notifyUrl: "https://[::1]/h" }, "MERCHANT_URL_NOT_ALLOWED", null],
    [
      "notifyUrl resolving to 10.x",
      { notifyUrl: "https://hooks.internal/h" },
      "MERCHANT_URL_NOT_ALLOWED",
      null,
    ],
    ["returnUrl 10.x", { returnUrl: "https://10.0.0.8/back" }, "MERCHANT_URL_NOT_ALLOWED", null],
    [
      "returnUrl resolving to 10.x",
      { returnUrl: "https://shop.internal/back" },
      "MERCHANT_URL_NOT_ALLOWED",
      null,
    ],
    ["returnUrl localhost", { returnUrl: "https://localhost/back" }, "MERCHANT_URL_NOT_ALLOWED", null],
  ])("400 %s", async (_name, change, code, path) => {
    const r = await createOrder(call, nativeBody(change));
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe(code);
    if (path) expect(r.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    expect(JSON.stringify(r.body)).not.toMatch(/at .*\.ts|stack/i);
  });

  it("400 for a missing or malformed Idempotency-Key and a body that is not JSON; 404 for a bad number", async () => {
    const none = await call("POST", "/orders", nativeBody());
    expect(none.status).toBe(400);
    expect(none.body.error.code).toBe("IDEMPOTENCY_KEY_REQUIRED");
    const bad = await createOrder(call, nativeBody(), "short");
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("VALIDATION_FAILED");
    const raw = await fetch(`${stack.h.url}/merchant/v1/orders`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        "idempotency-key": idem(),
      },
      body: "{not json",
    });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as { error: { code: string } }).error.code).toBe("MALFORMED_JSON");
    const g = await call("GET", `/orders/${encodeURIComponent("../../admin")}`);
    expect(g.status).toBe(404);
    expect((await call("GET", `/orders/NO-SUCH-ORDER`)).body.error.code).toBe("RESOURCE_NOT_FOUND");
  });
});
