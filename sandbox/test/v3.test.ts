/** Pay v3 over real HTTP: request authentication, signed answers in both key modes, errors, notifies. */
import crypto from "node:crypto";
import { gcmDecrypt } from "../src/crypto/v3";
import { RETRY_SCHEDULE_SECONDS } from "../src";
import type { ScenarioInput } from "../src/testing";
import { newNo, receiver, sandbox, until, v3, verified } from "./helpers";

let s: Awaited<ReturnType<typeof sandbox>>;
beforeAll(async () => {
  s = await sandbox();
});
afterAll(() => s.close());

const jsapi = (m: any, no: string, notify = "http://127.0.0.1:9/notify") => ({
  appid: m.appid,
  mchid: m.mchid,
  description: "测试",
  out_trade_no: no,
  notify_url: notify,
  amount: { total: 300, currency: "CNY" },
  payer: { openid: "oBUYER" },
});

describe.each(["v3-public-key", "v3-platform-cert"])("Pay v3 (%s)", (name) => {
  let m: any;
  beforeAll(() => {
    m = s.m(name);
  });

  it("jsapi and native prepay, signed in the merchant's key mode", async () => {
    const r = await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m, jsapi(m, newNo()));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).prepay_id).toMatch(/^wx/);
    expect(verified(m, r.headers, r.text)).toBe(true);
    expect(r.headers.get("wechatpay-serial")).toBe(
      m.keyMode === "public_key" ? m.wechatpayPublicKeyId : m.platformCertificateSerial,
    );
    expect(r.headers.get("wechatpay-signature-type")).toBe("WECHATPAY2-SHA256-RSA2048");
    const { payer: _p, ...native } = jsapi(m, newNo());
    const n = await v3(s.sb.url, "POST", "/v3/pay/transactions/native", m, native);
    expect(JSON.parse(n.text).code_url).toMatch(/^weixin:\/\//);
  });

  it("401 SIGN_ERROR for a bad signature or a stale timestamp; 400 for bad fields; re-entry rules", async () => {
    const bad = await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m, jsapi(m, newNo()), {
      badSign: true,
    });
    expect(bad.status).toBe(401);
    expect(JSON.parse(bad.text).code).toBe("SIGN_ERROR");
    expect(verified(m, bad.headers, bad.text)).toBe(true);
    expect(
      (await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m, jsapi(m, newNo()), { skew: 400 })).status,
    ).toBe(401);
    const noPayer = { ...jsapi(m, newNo()), payer: undefined };
    const p = await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m, noPayer);
    expect([p.status, JSON.parse(p.text).code]).toEqual([400, "PARAM_ERROR"]);
    const zero = await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m, {
      ...jsapi(m, newNo()),
      amount: { total: 0 },
    });
    expect(JSON.parse(zero.text).code).toBe("PARAM_ERROR");
    const no = newNo();
    await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m, jsapi(m, no));
    const other = await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m, {
      ...jsapi(m, no),
      amount: { total: 301, currency: "CNY" },
    });
    expect(JSON.parse(other.text)).toEqual({ code: "INVALID_REQUEST", message: "201 商户订单号重复" });
  });

  it("query by out_trade_no and by transaction id, 404 ORDER_NOT_EXIST, close 204, ORDERPAID", async () => {
    const no = newNo();
    const r = JSON.parse((await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m, jsapi(m, no))).text);
    const q0 = await v3(s.sb.url, "GET", `/v3/pay/transactions/out-trade-no/${no}?mchid=${m.mchid}`, m);
    expect(JSON.parse(q0.text).trade_state).toBe("NOTPAY");
    expect(
      (await v3(s.sb.url, "GET", `/v3/pay/transactions/out-trade-no/${newNo()}?mchid=${m.mchid}`, m)).status,
    ).toBe(404);
    await s.control.pay({ prepay_id: r.prepay_id, outcome: "SUCCESS" });
    const q = JSON.parse(
      (await v3(s.sb.url, "GET", `/v3/pay/transactions/out-trade-no/${no}?mchid=${m.mchid}`, m)).text,
    );
    expect(q).toMatchObject({
      trade_state: "SUCCESS",
      amount: { total: 300, payer_total: 300 },
      payer: { openid: "oBUYER" },
    });
    const byId = await v3(s.sb.url, "GET", `/v3/pay/transactions/id/${q.transaction_id}?mchid=${m.mchid}`, m);
    expect(JSON.parse(byId.text).out_trade_no).toBe(no);
    const closePaid = await v3(s.sb.url, "POST", `/v3/pay/transactions/out-trade-no/${no}/close`, m, {
      mchid: m.mchid,
    });
    expect(JSON.parse(closePaid.text).code).toBe("ORDERPAID");
    const no2 = newNo();
    await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m, jsapi(m, no2));
    const closed = await v3(s.sb.url, "POST", `/v3/pay/transactions/out-trade-no/${no2}/close`, m, {
      mchid: m.mchid,
    });
    expect(closed.status).toBe(204);
    expect(verified(m, closed.headers, "")).toBe(true);
    const again = await v3(s.sb.url, "POST", `/v3/pay/transactions/out-trade-no/${no2}/close`, m, {
      mchid: m.mchid,
    });
    expect(again.status).toBe(204);
    const reentry = await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m, jsapi(m, no2));
    expect([reentry.status, JSON.parse(reentry.text).code]).toEqual([400, "ORDER_CLOSED"]);
  });

  it("refunds: accepted, queried, over-refund refused, unknown 404", async () => {
    const no = newNo();
    const r = JSON.parse((await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m, jsapi(m, no))).text);
    await s.control.pay({ prepay_id: r.prepay_id, outcome: "SUCCESS" });
    const body = {
      out_trade_no: no,
      out_refund_no: `R${no}`,
      amount: { refund: 100, total: 300, currency: "CNY" },
    };
    const a = await v3(s.sb.url, "POST", "/v3/refund/domestic/refunds", m, body);
    expect(JSON.parse(a.text)).toMatchObject({ status: "PROCESSING", out_refund_no: `R${no}` });
    const over = await v3(s.sb.url, "POST", "/v3/refund/domestic/refunds", m, {
      ...body,
      out_refund_no: `S${no}`,
      amount: { refund: 201, total: 300, currency: "CNY" },
    });
    expect(JSON.parse(over.text).code).toBe("INVALID_REQUEST");
    await until(
      async () =>
        JSON.parse((await v3(s.sb.url, "GET", `/v3/refund/domestic/refunds/R${no}`, m)).text).status ===
        "SUCCESS",
    );
    expect((await v3(s.sb.url, "GET", `/v3/refund/domestic/refunds/nope`, m)).status).toBe(404);
    const unpaid = await v3(s.sb.url, "POST", "/v3/refund/domestic/refunds", m, {
      ...body,
      out_trade_no: newNo(),
    });
    expect(JSON.parse(unpaid.text).code).toBe("RESOURCE_NOT_EXISTS");
  });

  it("GET /v3/certificates: the platform certificate, encrypted with the APIv3 key", async () => {
    const r = await v3(s.sb.url, "GET", "/v3/certificates", m);
    const c = JSON.parse(r.text).data[0];
    const pem = gcmDecrypt(
      m.apiV3Key,
      c.encrypt_certificate.nonce,
      "certificate",
      c.encrypt_certificate.ciphertext,
    );
    expect(new crypto.X509Certificate(pem).serialNumber.toUpperCase()).toBe(c.serial_no);
  });

  it("the payment notify is signed, encrypted and retried on WeChat's schedule until a 2xx", async () => {
    const rx = await receiver((n) =>
      n < 4 ? { status: 500, body: '{"code":"FAIL"}' } : { status: 204, body: "" },
    );
    try {
      const no = newNo();
      const r = JSON.parse(
        (await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m, jsapi(m, no, rx.url))).text,
      );
      await s.control.pay({ prepay_id: r.prepay_id, outcome: "SUCCESS" });
      await until(() => rx.got.length >= 4);
      const g = rx.got[0]!;
      const h = new Headers(g.headers as Record<string, string>);
      expect(verified(m, h, g.body)).toBe(true);
      const env = JSON.parse(g.body);
      expect(env).toMatchObject({ event_type: "TRANSACTION.SUCCESS", resource_type: "encrypt-resource" });
      const t = JSON.parse(
        gcmDecrypt(m.apiV3Key, env.resource.nonce, env.resource.associated_data, env.resource.ciphertext),
      );
      expect(t).toMatchObject({
        out_trade_no: no,
        trade_state: "SUCCESS",
        amount: { total: 300 },
        mchid: m.mchid,
        appid: m.appid,
      });
      const gaps = rx.got.slice(1, 4).map((x, i) => x.at - rx.got[i]!.at);
      expect(gaps.length).toBe(3);
      const attempts = await s.control.notifications({ out_trade_no: no });
      expect(attempts.map((a: any) => a.ok)).toEqual([false, false, false, true]);
    } finally {
      await rx.close();
    }
  });
});

describe("retry schedule and scenarios (v3)", () => {
  const m = () => s.m("v3-public-key");

  it("gives up after WeChat's 15 retries (16 attempts)", async () => {
    expect(RETRY_SCHEDULE_SECONDS.reduce((a, b) => a + b, 0)).toBe(86_640);
    const rx = await receiver(() => ({ status: 503, body: "" }));
    try {
      const no = newNo();
      const r = JSON.parse(
        (await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m(), jsapi(m(), no, rx.url))).text,
      );
      await s.control.pay({ prepay_id: r.prepay_id, outcome: "SUCCESS" });
      await until(() => rx.got.length >= 16, 20_000);
      await new Promise((res) => setTimeout(res, 300));
      expect(rx.got.length).toBe(16);
    } finally {
      await rx.close();
    }
  }, 30_000);

  async function notifyWith(rule: ScenarioInput, reply = () => ({ status: 204, body: "" })) {
    const rx = await receiver(reply);
    const no = newNo();
    await s.control.scenario({ match: { out_trade_no: no }, ...rule });
    const r = JSON.parse(
      (await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m(), jsapi(m(), no, rx.url))).text,
    );
    await s.control.pay({ prepay_id: r.prepay_id, outcome: "SUCCESS" });
    return { rx, no };
  }
  const plain = (g: { body: string }) => {
    const env = JSON.parse(g.body);
    return JSON.parse(
      gcmDecrypt(m().apiV3Key, env.resource.nonce, env.resource.associated_data, env.resource.ciphertext),
    );
  };
  afterEach(() => s.control.clearScenarios());

  it("drop_notify sends nothing and records the drop", async () => {
    const { rx, no } = await notifyWith({ action: "drop_notify" });
    await until(async () => (await s.control.notifications({ out_trade_no: no })).length === 1);
    expect(rx.got).toHaveLength(0);
    await rx.close();
  });

  it("duplicate_notify sends N copies at once", async () => {
    const { rx } = await notifyWith({ action: "duplicate_notify", times: 5 });
    await until(() => rx.got.length === 5);
    await rx.close();
  });

  it("signtest_probe_first sends an invalid WECHATPAY/SIGNTEST/ probe before the real one", async () => {
    const { rx } = await notifyWith({ action: "signtest_probe_first" }, () => ({ status: 401, body: "" }));
    await until(() => rx.got.length >= 2);
    expect(String(rx.got[0]!.headers["wechatpay-signature"])).toMatch(/^WECHATPAY\/SIGNTEST\//);
    expect(String(rx.got[1]!.headers["wechatpay-signature"])).not.toMatch(/SIGNTEST/);
    await rx.close();
  });

  it("unknown_serial, skew_timestamp and tamper_amount change exactly what they say", async () => {
    const a = await notifyWith({ action: "unknown_serial" });
    await until(() => a.rx.got.length >= 1);
    expect(a.rx.got[0]!.headers["wechatpay-serial"]).not.toBe(m().wechatpayPublicKeyId);
    await a.rx.close();
    const b = await notifyWith({ action: "skew_timestamp", seconds: -301 });
    await until(() => b.rx.got.length >= 1);
    const ts = Number(b.rx.got[0]!.headers["wechatpay-timestamp"]);
    expect(Math.round(Date.now() / 1000 - ts)).toBeGreaterThanOrEqual(300);
    expect(
      verified(m(), new Headers(b.rx.got[0]!.headers as Record<string, string>), b.rx.got[0]!.body),
    ).toBe(true);
    await b.rx.close();
    const c = await notifyWith({ action: "tamper_amount" });
    await until(() => c.rx.got.length >= 1);
    expect(plain(c.rx.got[0]!).amount.total).toBe(301);
    expect(
      verified(m(), new Headers(c.rx.got[0]!.headers as Record<string, string>), c.rx.got[0]!.body),
    ).toBe(true);
    await c.rx.close();
  });

  it("delay_notify and reorder_notify hold the delivery back", async () => {
    const t0 = Date.now();
    const { rx } = await notifyWith({ action: "reorder_notify", ms: 200 });
    await until(() => rx.got.length >= 1);
    expect(rx.got[0]!.at - t0).toBeGreaterThanOrEqual(150);
    await rx.close();
    const d = await notifyWith({ action: "delay_notify", ms: 10_000 });
    await until(() => d.rx.got.length >= 1);
    await d.rx.close();
  });

  it("query_error (http_500, SYSTEMERROR), refund_error, close_orderpaid", async () => {
    const no = newNo();
    const r = JSON.parse(
      (await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m(), jsapi(m(), no))).text,
    );
    await s.control.scenario({
      match: { out_trade_no: no },
      action: "query_error",
      mode: "http_500",
    });
    const q = await v3(s.sb.url, "GET", `/v3/pay/transactions/out-trade-no/${no}?mchid=${m().mchid}`, m());
    expect([q.status, JSON.parse(q.text).code]).toEqual([500, "SYSTEM_ERROR"]);
    await s.control.clearScenarios();
    await s.control.scenario({
      match: { out_trade_no: no },
      action: "close_orderpaid",
    });
    const closed = await v3(s.sb.url, "POST", `/v3/pay/transactions/out-trade-no/${no}/close`, m(), {
      mchid: m().mchid,
    });
    expect(JSON.parse(closed.text).code).toBe("ORDERPAID");
    const after = JSON.parse(
      (await v3(s.sb.url, "GET", `/v3/pay/transactions/out-trade-no/${no}?mchid=${m().mchid}`, m())).text,
    );
    expect(after.trade_state).toBe("SUCCESS");
    await s.control.scenario({
      match: { out_trade_no: no },
      action: "refund_error",
      mode: "SYSTEMERROR",
    });
    const rf = await v3(s.sb.url, "POST", "/v3/refund/domestic/refunds", m(), {
      out_trade_no: no,
      out_refund_no: `R${no}`,
      amount: { refund: 1, total: 300, currency: "CNY" },
    });
    expect([rf.status, JSON.parse(rf.text).code]).toEqual([500, "SYSTEM_ERROR"]);
    expect(r.prepay_id).toBeTruthy();
  });
});

describe("cashier page and pay control", () => {
  it("shows the order and redirects back with payResult appended", async () => {
    const m = s.m("v3-public-key");
    const no = newNo();
    const r = JSON.parse((await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m, jsapi(m, no))).text);
    const page = await (
      await fetch(`${s.sb.url}/__sandbox/cashier?prepay_id=${r.prepay_id}&openid=oBUYER`)
    ).text();
    expect(page).toContain('data-test="cashier-pay"');
    expect(page).toContain("¥3.00");
    // The cashier form's submit, as the browser sends it; the redirect is what is checked.
    const submit = (action: "cancel" | "pay", return_url: string) =>
      fetch(`${s.sb.url}/__sandbox/cashier`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          prepay_id: r.prepay_id,
          openid: "oBUYER",
          return_url,
          action,
        }).toString(),
      });
    const back = "http://shop.example/app/#/pages/result/result?orderId=o1";
    const cancel = await submit("cancel", back);
    expect(cancel.status).toBe(303);
    expect(cancel.headers.get("location")).toBe(`${back}&payResult=cancel`);
    const pay = await submit("pay", "http://x/app/");
    expect(pay.headers.get("location")).toBe("http://x/app/?payResult=ok");
    await expect(s.control.pay({ prepay_id: r.prepay_id, outcome: "SUCCESS" })).rejects.toMatchObject({
      status: 409,
      code: "ORDER_PAID",
    });
    await expect(s.control.pay({ outcome: "SUCCESS" })).rejects.toMatchObject({
      status: 400,
      code: "VALIDATION_FAILED",
    });
    await expect(s.control.pay({ prepay_id: "wx-none" })).rejects.toMatchObject({
      status: 404,
      code: "ORDER_NOT_FOUND",
    });
    expect((await fetch(`${s.sb.url}/__sandbox/cashier?prepay_id=wx-none`)).status).toBe(404);
  });

  it("answers CORS preflights on the control API", async () => {
    const r = await fetch(`${s.sb.url}/__sandbox/login-codes`, { method: "OPTIONS" });
    expect(r.status).toBe(204);
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
  });
});
