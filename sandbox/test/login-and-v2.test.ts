/** code2Session and Pay v2 over real HTTP: success paths, every error path, and v2 notifies. */
import { checkSignV2, decryptEcb, fromXml } from "../src/crypto/v2";
import crypto from "node:crypto";
import { newNo, receiver, sandbox, until, v2, v2Order, V2_OK } from "./helpers";

let s: Awaited<ReturnType<typeof sandbox>>;
beforeAll(async () => {
  s = await sandbox();
});
afterAll(() => s.close());

describe("jscode2session", () => {
  const call = async (q: Record<string, string>) =>
    (await fetch(`${s.sb.url}/sns/jscode2session?${new URLSearchParams(q)}`)).json() as any;

  it("exchanges a code once, with WeChat's error codes otherwise", async () => {
    const m = s.m("v3-public-key");
    const login = await s.control.loginCode(m.appid, "oTESTOPENID");
    expect(login.openid).toBe("oTESTOPENID");
    const q = { appid: m.appid, secret: m.appsecret, js_code: login.code, grant_type: "authorization_code" };
    const ok = await call(q);
    expect(ok).toEqual({ openid: "oTESTOPENID", session_key: expect.any(String) });
    expect(ok.errcode).toBeUndefined();
    const again = await call(q);
    expect(again.errcode).toBe(40163);
    expect(again.errmsg).toMatch(/rid: /);
    expect((await call({ ...q, js_code: "nope" })).errcode).toBe(40029);
    expect((await call({ ...q, secret: "wrong" })).errcode).toBe(40125);
    expect((await call({ ...q, appid: "wx0" })).errcode).toBe(40013);
  });

  it("a code expires after 5 minutes", async () => {
    const m = s.m("v2-md5");
    const login = await s.control.loginCode(m.appid);
    const store = s.sb.context.store as any;
    const realNow = store.now;
    store.now = () => realNow() + 5 * 60_000 + 1000;
    try {
      const r = await call({
        appid: m.appid,
        secret: m.appsecret,
        js_code: login.code,
        grant_type: "authorization_code",
      });
      expect(r.errcode).toBe(40029);
    } finally {
      store.now = realNow;
    }
  });

  it("login_error answers its errcode for `times` calls, only for the matched merchant", async () => {
    const m = s.m("v2-hmac");
    const other = s.m("v3-platform-cert");
    await s.control.scenario({ action: "login_error", errcode: 45011, times: 1, match: { mchid: m.mchid } });
    await s.control.scenario({ action: "login_error", match: { out_trade_no: "MP-not-a-login" } });
    const exchange = async (who: typeof m) => {
      const { code } = await s.control.loginCode(who.appid);
      return call({
        appid: who.appid,
        secret: who.appsecret,
        js_code: code,
        grant_type: "authorization_code",
      });
    };
    try {
      expect((await exchange(other)).openid).toBeTruthy();
      expect((await exchange(m)).errcode).toBe(45011);
      expect((await exchange(m)).openid).toBeTruthy();
    } finally {
      await s.control.clearScenarios();
    }
  });

  it("login-codes refuses an unknown appid and bad JSON", async () => {
    await expect(s.control.loginCode("wx-none")).rejects.toMatchObject({
      status: 404,
      code: "APPID_NOT_FOUND",
    });
    const bad = await fetch(`${s.sb.url}/__sandbox/login-codes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(bad.status).toBe(400);
  });
});

describe.each(["v2-md5", "v2-hmac"])("Pay v2 (%s)", (name) => {
  let m: any;
  beforeAll(() => {
    m = s.m(name);
  });
  const order = (no: string, extra: Record<string, unknown> = {}) => ({
    body: "测试商品",
    out_trade_no: no,
    total_fee: 101,
    spbill_create_ip: "127.0.0.1",
    notify_url: "http://127.0.0.1:9/notify",
    trade_type: "JSAPI",
    openid: "oBUYER",
    ...extra,
  });

  it("unifiedorder answers signed, in the request's sign type, and re-entry reuses the prepay", async () => {
    const no = newNo();
    const r = await v2(s.sb.url, "/pay/unifiedorder", m, order(no));
    expect(r.return_code).toBe("SUCCESS");
    expect(r.result_code).toBe("SUCCESS");
    expect(r.prepay_id).toMatch(/^wx\w+/);
    expect(checkSignV2(r, m.apiV2Key, m.signType)).toBe(true);
    const again = await v2(s.sb.url, "/pay/unifiedorder", m, order(no));
    expect(again.prepay_id).toBe(r.prepay_id);
    const other = await v2(s.sb.url, "/pay/unifiedorder", m, order(no, { total_fee: 102 }));
    expect(other.err_code).toBe("OUT_TRADE_NO_USED");
    const native = await v2(
      s.sb.url,
      "/pay/unifiedorder",
      m,
      order(newNo(), { trade_type: "NATIVE", product_id: "p1", openid: undefined }),
    );
    expect(native.code_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
  });

  it("rejects a bad sign, a missing field, a JSAPI order without openid, DOCTYPE and GET", async () => {
    expect(await v2(s.sb.url, "/pay/unifiedorder", m, order(newNo()), { badSign: true })).toEqual({
      return_code: "FAIL",
      return_msg: "签名错误",
    });
    const missing = await v2(s.sb.url, "/pay/unifiedorder", m, { ...order(newNo()), notify_url: undefined });
    expect(missing.return_code).toBe("FAIL");
    expect(missing.return_msg).toContain("notify_url");
    expect((await v2(s.sb.url, "/pay/unifiedorder", m, order(newNo(), { openid: undefined }))).err_code).toBe(
      "INVALID_REQUEST",
    );
    const xxe = await fetch(`${s.sb.url}/pay/unifiedorder`, {
      method: "POST",
      body: '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><a>&e;</a></xml>',
    });
    expect((await fromXml(await xxe.text())).return_msg).toBe("XML_FORMAT_ERROR");
    expect((await fromXml(await (await fetch(`${s.sb.url}/pay/orderquery`)).text())).return_msg).toBe(
      "REQUIRE_POST_METHOD",
    );
  });

  it("orderquery, pay, ORDERPAID, close and ORDERCLOSED, ORDERNOTEXIST", async () => {
    expect((await v2(s.sb.url, "/pay/orderquery", m, { out_trade_no: newNo() })).err_code).toBe(
      "ORDERNOTEXIST",
    );
    const no = newNo();
    const r = await v2(s.sb.url, "/pay/unifiedorder", m, order(no));
    expect((await v2(s.sb.url, "/pay/orderquery", m, { out_trade_no: no })).trade_state).toBe("NOTPAY");
    await s.control.pay({
      prepay_id: r.prepay_id,
      openid: "oBUYER",
      outcome: "SUCCESS",
    });
    const q = await v2(s.sb.url, "/pay/orderquery", m, { out_trade_no: no });
    expect(q).toMatchObject({ trade_state: "SUCCESS", total_fee: "101", openid: "oBUYER" });
    expect(q.transaction_id).toMatch(/^\d{28}$/);
    expect((await v2(s.sb.url, "/pay/unifiedorder", m, order(no))).err_code).toBe("ORDERPAID");
    expect((await v2(s.sb.url, "/pay/closeorder", m, { out_trade_no: no })).err_code).toBe("ORDERPAID");
    const no2 = newNo();
    await v2(s.sb.url, "/pay/unifiedorder", m, order(no2));
    expect((await v2(s.sb.url, "/pay/closeorder", m, { out_trade_no: no2 })).result_code).toBe("SUCCESS");
    expect((await v2(s.sb.url, "/pay/unifiedorder", m, order(no2))).err_code).toBe("ORDERCLOSED");
    await expect(s.control.pay({ out_trade_no: no2, outcome: "SUCCESS" })).rejects.toMatchObject({
      status: 409,
      code: "ORDER_CLOSED",
    });
  });

  it("refunds need the client certificate on the TLS port; over-refunds are refused; refundquery", async () => {
    const no = newNo();
    const r = await v2(s.sb.url, "/pay/unifiedorder", m, order(no));
    await s.control.pay({ prepay_id: r.prepay_id, outcome: "SUCCESS" });
    const refund = { out_trade_no: no, out_refund_no: `R${no}`, total_fee: 101, refund_fee: 100 };
    expect((await v2(s.sb.url, "/secapi/pay/refund", m, refund)).return_code).toBe("FAIL");
    const tls = { cert: m.clientCertPem, key: m.clientKeyPem, ca: s.doc.caCertificatePem };
    const ok = await v2(s.doc.tlsBaseUrl, "/secapi/pay/refund", m, refund, { tls });
    expect(ok).toMatchObject({ return_code: "SUCCESS", result_code: "SUCCESS", refund_fee: "100" });
    const over = await v2(
      s.doc.tlsBaseUrl,
      "/secapi/pay/refund",
      m,
      { ...refund, out_refund_no: `S${no}`, refund_fee: 2 },
      { tls },
    );
    expect(over.err_code).toBe("INVALID_REQUEST");
    const other = s.m(name === "v2-md5" ? "v2-hmac" : "v2-md5");
    const wrongCert = await v2(s.doc.tlsBaseUrl, "/secapi/pay/refund", m, refund, {
      tls: { ...tls, cert: other.clientCertPem },
    });
    expect(wrongCert.return_code).toBe("FAIL");
    await until(
      async () =>
        (await v2(s.sb.url, "/pay/refundquery", m, { out_refund_no: `R${no}` })).refund_status_0 ===
        "SUCCESS",
    );
    expect((await v2(s.sb.url, "/pay/refundquery", m, { out_refund_no: "nope" })).err_code).toBe(
      "REFUNDNOTEXIST",
    );
    expect((await v2(s.sb.url, "/pay/orderquery", m, { out_trade_no: no })).trade_state).toBe("REFUND");
  });

  it("signed payment notify and AES-encrypted refund notify; retried until acknowledged", async () => {
    const rx = await receiver((n) =>
      n < 3 ? { status: 200, body: "<xml><return_code>FAIL</return_code></xml>" } : V2_OK,
    );
    try {
      const no = newNo();
      const r = await v2(s.sb.url, "/pay/unifiedorder", m, order(no, { notify_url: rx.url }));
      await s.control.pay({ prepay_id: r.prepay_id, outcome: "SUCCESS" });
      await until(() => rx.got.length >= 3);
      const n = await fromXml(rx.got[0]!.body);
      expect(n).toMatchObject({
        return_code: "SUCCESS",
        result_code: "SUCCESS",
        out_trade_no: no,
        total_fee: "101",
        appid: m.appid,
      });
      expect(checkSignV2(n, m.apiV2Key, m.signType)).toBe(true);
      const attempts = await s.control.notifications({ out_trade_no: no });
      expect(attempts.map((a: any) => [a.attempt, a.ok])).toEqual([
        [1, false],
        [2, false],
        [3, true],
      ]);
      // refund notify: req_info decrypts with md5(key)
      const tls = { cert: m.clientCertPem, key: m.clientKeyPem, ca: s.doc.caCertificatePem };
      await v2(
        s.doc.tlsBaseUrl,
        "/secapi/pay/refund",
        m,
        { out_trade_no: no, out_refund_no: `R${no}`, total_fee: 101, refund_fee: 101, notify_url: rx.url },
        { tls },
      );
      const refundNote = await until(async () => {
        for (const g of rx.got) {
          const x = await fromXml(g.body);
          if (x.req_info) return x;
        }
        return null;
      });
      const inner = decryptEcb(
        refundNote!.req_info!,
        Buffer.from(crypto.createHash("md5").update(m.apiV2Key).digest("hex")),
      );
      expect(inner).toContain(`<out_refund_no><![CDATA[R${no}]]></out_refund_no>`);
      expect(inner).toContain("<refund_status><![CDATA[SUCCESS]]></refund_status>");
    } finally {
      await rx.close();
    }
  });
});

describe("scenarios on v2", () => {
  it("query_error and close_error answer SYSTEMERROR until cleared", async () => {
    const m = s.m("v2-md5");
    const no = newNo();
    await v2(s.sb.url, "/pay/unifiedorder", m, v2Order(no));
    await s.control.scenario({
      match: { out_trade_no: no },
      action: "query_error",
      mode: "SYSTEMERROR",
    });
    expect((await v2(s.sb.url, "/pay/orderquery", m, { out_trade_no: no })).err_code).toBe("SYSTEMERROR");
    await s.control.clearScenarios();
    await s.control.scenario({
      match: { out_trade_no: no },
      action: "close_error",
      mode: "http_500",
    });
    const res = await fetch(`${s.sb.url}/pay/closeorder`, { method: "POST", body: "<xml></xml>" });
    expect(res.status).toBe(200); // malformed before scenario: still a comm-layer FAIL
    expect(await s.control.listScenarios()).toHaveLength(1);
    expect(await s.control.clearScenarios()).toBe(1);
    expect((await v2(s.sb.url, "/pay/orderquery", m, { out_trade_no: no })).trade_state).toBe("NOTPAY");
    const refused = await s.control.request("POST", "/__sandbox/scenarios", { action: "nope" });
    expect([refused.status, refused.body.error.code]).toEqual([400, "VALIDATION_FAILED"]);
  });
});
