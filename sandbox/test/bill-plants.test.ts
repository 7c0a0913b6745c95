/**
 * Bill plants (scenario rules for reconciliation tests): each rewrites what the day's bill says
 * about one order, and the bill keeps WeChat's layout (BOM, back-quoted fields, CRLF, a summary
 * that agrees with the lines). bill_corrupt serves a v3 file that no longer matches its hash.
 */
import crypto from "node:crypto";
import type { SandboxMerchant } from "../src/testing";
import { newNo, sandbox, v3 } from "./helpers";

let s: Awaited<ReturnType<typeof sandbox>>;
let m: SandboxMerchant;
let paid: string;
let open: string;
let day: string;

async function place(no: string, total: number): Promise<string> {
  const r = await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m, {
    appid: m.appid,
    mchid: m.mchid,
    description: "plants",
    out_trade_no: no,
    notify_url: "http://127.0.0.1:9/n",
    amount: { total, currency: "CNY" },
    payer: { openid: "oPLANT" },
  });
  return JSON.parse(r.text).prepay_id;
}

beforeAll(async () => {
  s = await sandbox();
  m = s.m("v3-public-key");
  paid = newNo();
  await s.control.pay({ prepay_id: await place(paid, 500), outcome: "SUCCESS" });
  open = newNo();
  await place(open, 700);
  day = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
});
afterAll(() => s.close());
afterEach(() => s.control.clearScenarios());

/** The day's bill: the tradebill answer, the file, and its lines by 商户订单号. */
async function bill() {
  const b = JSON.parse((await v3(s.sb.url, "GET", `/v3/bill/tradebill?bill_date=${day}`, m)).text);
  const u = new URL(b.download_url);
  const file = await v3(s.sb.url, "GET", u.pathname + u.search, m);
  const lines = file.text.slice(1, -2).split("\r\n");
  const names = lines[0]!.split(",");
  const rows = lines.slice(1, -2).map((l) => {
    const v = l.slice(1).split(",`");
    return Object.fromEntries(names.map((n, i) => [n, v[i]!]));
  });
  const sumNames = lines[lines.length - 2]!.split(",");
  const sum = lines[lines.length - 1]!.slice(1).split(",`");
  return {
    hashOk: crypto.createHash("sha1").update(file.bytes).digest("hex") === b.hash_value,
    text: file.text,
    rows: new Map(rows.map((r) => [r["商户订单号"]!, r])),
    summary: Object.fromEntries(sumNames.map((n, i) => [n, sum[i]!])),
  };
}

const rule = (action: string, extra: Record<string, unknown> = {}, no = paid) =>
  s.control.scenario({ match: { out_trade_no: no, mchid: m.mchid }, action, ...extra } as never);

it("untouched: the paid order only, hash true", async () => {
  const b = await bill();
  expect(b.hashOk).toBe(true);
  expect([...b.rows.keys()]).toEqual([paid]);
  expect(b.text.startsWith("\ufeff交易时间,")).toBe(true);
});

it("bill_amount states another amount, and the summary follows it", async () => {
  await rule("bill_amount", { amount_fen: 501 });
  const b = await bill();
  expect(b.rows.get(paid)!["订单金额"]).toBe("5.01");
  expect(b.summary["订单总金额"]).toBe("5.01");
  expect(b.hashOk).toBe(true);
});

it("bill_missing_at_wechat leaves the order out (no trade left: no bill)", async () => {
  await rule("bill_missing_at_wechat");
  const r = await v3(s.sb.url, "GET", `/v3/bill/tradebill?bill_date=${day}`, m);
  expect([r.status, JSON.parse(r.text).code]).toEqual([400, "NO_STATEMENT_EXIST"]);
});

it("bill_missing_here adds a payment nobody made; bill_state shows an unpaid order paid", async () => {
  await rule("bill_missing_here", { amount_fen: 4321 }, "GHOST0001");
  await rule("bill_state", {}, open);
  const b = await bill();
  expect(b.rows.get("GHOST0001")).toMatchObject({ 交易状态: "SUCCESS", 订单金额: "43.21" });
  expect(b.rows.get(open)).toMatchObject({ 交易状态: "SUCCESS", 订单金额: "7.00" });
  expect(b.summary["总交易单数"]).toBe("3.0");
});

it("bill_corrupt: the file no longer hashes to what tradebill said", async () => {
  await s.control.scenario({ match: { mchid: m.mchid }, action: "bill_corrupt" });
  const b = await bill();
  expect(b.hashOk).toBe(false);
  expect(b.rows.get(paid)).toBeDefined();
});
