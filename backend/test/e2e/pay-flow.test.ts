/**
 * The whole payment, once per merchant configuration (v2 MD5, v2 HMAC-SHA256, v3 platform
 * certificate, v3 public key), over real HTTP against the sandbox and a real PostgreSQL:
 * login → order → pay params (paySign checked here, independently) → sandbox pays → notify → paid
 * → verify; and the same with the notify dropped, where verify alone reaches paid.
 */
import crypto from "node:crypto";
import {
  eventually,
  idemKey,
  MERCHANTS,
  payingOrder,
  useSandbox,
  useStack,
  type Stack,
} from "../helpers/sandbox-stack";

const sandbox = useSandbox();

/** Independent check of the paySign (docs/wechatpay-spec.md §2.10 for v2, §3.9 for v3). */
function checkPaySign(stack: Stack, params: any): boolean {
  const c = stack.merchant.credentials;
  if (c.apiVersion === "v2") {
    const fields: Record<string, string> = {
      appId: c.appid,
      nonceStr: params.nonceStr,
      package: params.package,
      signType: params.signType,
      timeStamp: params.timeStamp,
    };
    const s =
      Object.keys(fields)
        .sort()
        .map((k) => `${k}=${fields[k]}`)
        .join("&") + `&key=${c.v2!.key}`;
    const expected =
      params.signType === "HMAC-SHA256"
        ? crypto.createHmac("sha256", c.v2!.key).update(s).digest("hex").toUpperCase()
        : crypto.createHash("md5").update(s).digest("hex").toUpperCase();
    return params.paySign === expected && params.signType === c.v2!.signType;
  }
  const msg = `${c.appid}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`;
  const pub = crypto.createPublicKey(c.v3!.privateKeyPem);
  return (
    params.signType === "RSA" &&
    crypto.verify("sha256", Buffer.from(msg), pub, Buffer.from(params.paySign, "base64"))
  );
}

async function createOrder(
  stack: Stack,
  token: string,
  items = [{ productId: "red-envelope", quantity: 2 }],
) {
  const r = await stack.api("POST", "/api/v1/orders", {
    token,
    body: { items },
    headers: { "idempotency-key": idemKey() },
  });
  expect(r.status).toBe(201);
  return r.body;
}

describe.each(MERCHANTS)("pay flow with sandbox merchant %s", (name) => {
  const stack = useStack(sandbox, name);

  it("login → order → jsapi params → pay → notify → paid → verify says paid", async () => {
    const { token, openid } = await stack.login();
    const order = await createOrder(stack, token);
    expect(order.totalFen).toBe(1980);
    expect(order.state).toBe("created");
    // The create answer is built from what it wrote; it must be what a read of the order shows.
    expect((await stack.api("GET", `/api/v1/orders/${order.id}`, { token })).body).toEqual(order);

    const pay = await stack.api("POST", `/api/v1/orders/${order.id}/payments`, {
      token,
      body: { method: "jsapi" },
    });
    expect(pay.status).toBe(200);
    expect(pay.body.method).toBe("jsapi");
    expect(Object.keys(pay.body.params).sort()).toEqual([
      "nonceStr",
      "package",
      "paySign",
      "signType",
      "timeStamp",
    ]);
    expect(pay.body.params.package).toMatch(/^prepay_id=/);
    expect(checkPaySign(stack, pay.body.params)).toBe(true);

    // A second tap reuses the same prepay_id (no second unifiedorder).
    const again = await stack.api("POST", `/api/v1/orders/${order.id}/payments`, {
      token,
      body: { method: "jsapi" },
    });
    expect(again.body.params.package).toBe(pay.body.params.package);

    const prepayId = pay.body.params.package.slice("prepay_id=".length);
    const paid = await stack.sb.pay({
      prepay_id: prepayId,
      openid,
      outcome: "SUCCESS",
    });
    expect(paid.trade_state).toBe("SUCCESS");

    const final = await eventually(async () => {
      const r = await stack.api("GET", `/api/v1/orders/${order.id}`, { token });
      return r.body.state === "paid" ? r.body : null;
    });
    expect(final.paidAt).not.toBeNull();
    expect(final.events.map((e: any) => e.to)).toEqual(["created", "paying", "paid"]);

    const verified = await stack.api("POST", `/api/v1/orders/${order.id}/verify`, { token });
    expect(verified.status).toBe(200);
    expect(verified.body.state).toBe("paid");

    const outbox = await stack.h.ds.query(`SELECT count(*)::int AS n FROM outbox WHERE order_id = $1`, [
      order.id,
    ]);
    expect(outbox[0].n).toBe(1);
  });

  it("with the notify dropped, verify alone brings the order to paid", async () => {
    const { token, openid, order, prepayId } = await payingOrder(stack);
    const rule = await stack.sb.scenario({
      match: { out_trade_no: order.outTradeNo },
      action: "drop_notify",
    });
    expect(rule.id).toMatch(/^sc_/);
    await stack.sb.pay({ prepay_id: prepayId, openid, outcome: "SUCCESS" });

    const before = await stack.api("GET", `/api/v1/orders/${order.id}`, { token });
    expect(before.body.state).toBe("paying");
    const verified = await stack.api("POST", `/api/v1/orders/${order.id}/verify`, { token });
    expect(verified.body.state).toBe("paid");
    const ev = await stack.h.ds.query(
      `SELECT source FROM order_events WHERE order_id = $1 AND to_state = 'paid'`,
      [order.id],
    );
    expect(ev).toEqual([{ source: "verify" }]);
  });

  it("native pay returns a code_url and a QR image, and paying it by code_url settles the order", async () => {
    const { token, openid } = await stack.login();
    const order = await createOrder(stack, token, [{ productId: "test-1-fen", quantity: 1 }]);
    const pay = await stack.api("POST", `/api/v1/orders/${order.id}/payments`, {
      token,
      body: { method: "native" },
    });
    expect(pay.status).toBe(200);
    expect(pay.body.codeUrl).toMatch(/^weixin:\/\//);
    expect(pay.body.qrDataUrl).toMatch(/^data:image\/png;base64,/);
    await stack.sb.pay({ code_url: pay.body.codeUrl, openid, outcome: "SUCCESS" });
    await eventually(
      async () => (await stack.api("GET", `/api/v1/orders/${order.id}`, { token })).body.state === "paid",
    );
  });

  it("a cancelled payment leaves the order payable", async () => {
    const { token, openid, order, prepayId } = await payingOrder(stack);
    await stack.sb.pay({ prepay_id: prepayId, openid, outcome: "CANCEL" });
    const v = await stack.api("POST", `/api/v1/orders/${order.id}/verify`, { token });
    expect(v.body.state).toBe("paying");
    await stack.sb.pay({ prepay_id: prepayId, openid, outcome: "SUCCESS" });
    await eventually(
      async () => (await stack.api("GET", `/api/v1/orders/${order.id}`, { token })).body.state === "paid",
    );
  });
});
