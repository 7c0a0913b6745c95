/** prepay_error on v2 unifiedorder and v3 jsapi/native: each mode, matching, `times`, `ms`, and close. */
import { checkSignV2 } from "../src/crypto/v2";
import type { ScenarioInput } from "../src/testing";
import { newNo, sandbox, until, v2, v2Order, v2Raw, v3 } from "./helpers";

let s: Awaited<ReturnType<typeof sandbox>>;
beforeAll(async () => {
  s = await sandbox();
});
afterAll(() => s.close());
afterEach(() => s.control.clearScenarios());

const scenario = (rule: ScenarioInput) => s.control.scenario(rule);

const v3Order = (m: any, no: string, native = false) => ({
  appid: m.appid,
  mchid: m.mchid,
  description: "x",
  out_trade_no: no,
  notify_url: "http://127.0.0.1:9/n",
  amount: { total: 1, currency: "CNY" },
  ...(native ? {} : { payer: { openid: "o1" } }),
});

describe("prepay_error on v2 /pay/unifiedorder", () => {
  it("SYSTEMERROR: a signed business FAIL for `times` requests, then the order is placed", async () => {
    const m = s.m("v2-md5");
    const no = newNo();
    await scenario({ match: { out_trade_no: no }, action: "prepay_error", mode: "SYSTEMERROR", times: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await v2(s.sb.url, "/pay/unifiedorder", m, v2Order(no));
      expect(r).toMatchObject({ return_code: "SUCCESS", result_code: "FAIL", err_code: "SYSTEMERROR" });
      expect(checkSignV2(r, m.apiV2Key, m.signType!)).toBe(true);
    }
    const ok = await v2(s.sb.url, "/pay/unifiedorder", m, v2Order(no));
    expect(ok.result_code).toBe("SUCCESS");
    expect(await s.control.listScenarios()).toEqual([]);
  });

  it("http_500: a bare 500, and only for the matched merchant", async () => {
    const md5 = s.m("v2-md5");
    const hmac = s.m("v2-hmac");
    await scenario({ match: { mchid: hmac.mchid }, action: "prepay_error", mode: "http_500" });
    const r = await v2Raw(s.sb.url, "/pay/unifiedorder", hmac, v2Order(newNo()));
    expect([r.status, r.text]).toEqual([500, ""]);
    expect((await v2(s.sb.url, "/pay/unifiedorder", md5, v2Order(newNo()))).result_code).toBe("SUCCESS");
    // without `times` the rule stays
    expect((await v2Raw(s.sb.url, "/pay/unifiedorder", hmac, v2Order(newNo()))).status).toBe(500);
  });

  it("timeout: holds the request for `ms`, then answers as usual (the order exists)", async () => {
    const m = s.m("v2-hmac");
    const no = newNo();
    await scenario({ action: "prepay_error", mode: "timeout", ms: 300, times: 1 });
    const t0 = Date.now();
    const r = await v2(s.sb.url, "/pay/unifiedorder", m, v2Order(no));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(r.result_code).toBe("SUCCESS");
    const again = await v2(s.sb.url, "/pay/unifiedorder", m, v2Order(no));
    expect(again.prepay_id).toBe(r.prepay_id);
  });

  it("a request that fails validation is refused before any fault", async () => {
    const m = s.m("v2-md5");
    await scenario({ action: "prepay_error", mode: "SYSTEMERROR", times: 1 });
    const bad = await v2(s.sb.url, "/pay/unifiedorder", m, { ...v2Order(newNo()), openid: undefined });
    expect(bad.err_code).toBe("INVALID_REQUEST");
    expect((await v2(s.sb.url, "/pay/unifiedorder", m, v2Order(newNo()))).err_code).toBe("SYSTEMERROR");
  });
});

describe("prepay_error on v3 /v3/pay/transactions/{jsapi,native}", () => {
  const m = () => s.m("v3-public-key");

  it("SYSTEMERROR: 500 SYSTEM_ERROR on jsapi and native, used up after `times`", async () => {
    const no = newNo();
    await scenario({ match: { out_trade_no: no }, action: "prepay_error", mode: "SYSTEMERROR", times: 1 });
    const r = await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m(), v3Order(m(), no));
    expect([r.status, JSON.parse(r.text).code]).toEqual([500, "SYSTEM_ERROR"]);
    expect(r.headers.get("wechatpay-signature")).toBeTruthy();
    const ok = await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m(), v3Order(m(), no));
    expect(ok.status).toBe(200);
    const nat = newNo();
    await scenario({ match: { out_trade_no: nat }, action: "prepay_error" });
    const n = await v3(s.sb.url, "POST", "/v3/pay/transactions/native", m(), v3Order(m(), nat, true));
    expect([n.status, JSON.parse(n.text).code]).toEqual([500, "SYSTEM_ERROR"]);
  });

  it("http_500 for one merchant leaves the other alone", async () => {
    const cert = s.m("v3-platform-cert");
    await scenario({ match: { mchid: cert.mchid }, action: "prepay_error", mode: "http_500" });
    const r = await v3(s.sb.url, "POST", "/v3/pay/transactions/native", cert, v3Order(cert, newNo(), true));
    expect(r.status).toBe(500);
    const other = await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m(), v3Order(m(), newNo()));
    expect(other.status).toBe(200);
  });

  it("timeout: held for `ms`, then the prepay_id", async () => {
    const no = newNo();
    await scenario({ match: { out_trade_no: no }, action: "prepay_error", mode: "timeout", ms: 300 });
    const t0 = Date.now();
    const r = await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m(), v3Order(m(), no));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(JSON.parse(r.text).prepay_id).toMatch(/^wx/);
  });
});

it("query/close/refund timeouts honour `ms` too", async () => {
  const m = s.m("v3-public-key");
  const no = newNo();
  await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m, v3Order(m, no));
  await scenario({ match: { out_trade_no: no }, action: "query_error", mode: "timeout", ms: 250 });
  const t0 = Date.now();
  const q = await v3(s.sb.url, "GET", `/v3/pay/transactions/out-trade-no/${no}?mchid=${m.mchid}`, m);
  const took = Date.now() - t0;
  expect(q.status).toBe(200);
  expect(took).toBeGreaterThanOrEqual(240);
  expect(took).toBeLessThan(5000);
});

it("closing the sandbox lets go of held requests at once", async () => {
  const own = await sandbox();
  const m = own.m("v3-public-key");
  await own.control.scenario({ action: "prepay_error", mode: "timeout" });
  const held = v3(own.sb.url, "POST", "/v3/pay/transactions/jsapi", m, v3Order(m, newNo())).then(
    () => "answered",
    () => "dropped",
  );
  await until(() => own.sb.context.holds.count === 1);
  const t0 = Date.now();
  await own.close();
  expect(Date.now() - t0).toBeLessThan(2000);
  expect(await held).toBe("dropped");
  expect(own.sb.context.holds.count).toBe(0);
});
