/** The test kit other packages import: startTestSandbox and the typed SandboxControl. */
import { SandboxControlError, startTestSandbox, type TestSandbox } from "../src/testing";
import { newNo, v3 } from "./helpers";

let t: TestSandbox;
beforeAll(async () => {
  t = await startTestSandbox();
});
afterAll(() => t.close());

it("starts on free ports and answers health checks", async () => {
  expect(t.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(t.tlsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  expect(await t.control.healthy()).toBe(true);
});

it("merchants and merchant(name); an unknown name is a typed error", async () => {
  const doc = await t.control.merchants();
  expect(doc.merchants.map((m) => m.name).sort()).toEqual([
    "v2-hmac",
    "v2-md5",
    "v3-platform-cert",
    "v3-public-key",
  ]);
  expect(doc.baseUrl).toBe(t.url);
  const m = await t.control.merchant("v2-hmac");
  expect(m).toMatchObject({ apiVersion: "v2", signType: "HMAC-SHA256" });
  const err = await t.control.merchant("nope" as never).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SandboxControlError);
  expect(err).toMatchObject({ status: 404, code: "MERCHANT_NOT_FOUND" });
});

it("scenarios: add one or several, list, clear", async () => {
  const one = await t.control.scenario({ action: "drop_notify", match: { out_trade_no: "X1234567" } });
  expect(one).toMatchObject({ id: expect.stringMatching(/^sc_/), action: "drop_notify" });
  const more = await t.control.addScenarios([
    { action: "prepay_error", mode: "http_500", times: 2 },
    { action: "delay_notify", ms: 10 },
  ]);
  expect(more).toHaveLength(2);
  expect((await t.control.listScenarios()).map((r) => r.id)).toEqual([one.id, ...more.map((r) => r.id)]);
  expect(await t.control.clearScenarios()).toBe(3);
  expect(await t.control.listScenarios()).toEqual([]);
});

it("pay, notifications and the cashier URL for one order", async () => {
  const m = await t.control.merchant("v3-public-key");
  const no = newNo();
  const placed = await v3(t.url, "POST", "/v3/pay/transactions/jsapi", m, {
    appid: m.appid,
    mchid: m.mchid,
    description: "kit",
    out_trade_no: no,
    notify_url: "http://127.0.0.1:9/n",
    amount: { total: 5, currency: "CNY" },
    payer: { openid: "oKIT" },
  });
  const { prepay_id } = JSON.parse(placed.text);
  const page = await fetch(t.control.cashierUrl({ prepay_id, openid: "oKIT" }));
  expect(page.status).toBe(200);
  const paid = await t.control.pay({ prepay_id, outcome: "SUCCESS" });
  expect(paid).toMatchObject({ out_trade_no: no, trade_state: "SUCCESS" });
  expect(paid.transaction_id).toMatch(/^\d{28}$/);
  // port 9 refuses: the first attempt is recorded as failed
  for (let i = 0; i < 200 && (await t.control.notifications({ out_trade_no: no })).length === 0; i++)
    await new Promise((r) => setTimeout(r, 10));
  const [first] = await t.control.notifications({ out_trade_no: no });
  expect(first).toMatchObject({ out_trade_no: no, kind: "pay", attempt: 1, ok: false, status: null });
  const login = await t.control.loginCode(m.appid);
  expect(login.code).toHaveLength(32);
});
