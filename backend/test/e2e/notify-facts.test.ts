/**
 * Genuine (validly signed) notifies that state impossible facts, posted to the backend's notify
 * URLs: each is recorded as an anomaly and acknowledged, never answered 5xx (WeChat would resend a
 * 5xx for 24 h and nothing would ever change). A transaction id already used by another order is
 * flagged, not written. Refused notifies all get one generic answer. Messages are signed by the
 * sandbox's crypto, with keys this test owns.
 */
import crypto from "node:crypto";
import { wechatAdapters } from "../../src/boot";
import { merchantIdFor } from "../../src/merchants/secrets";
import type { MerchantSeed } from "../../src/merchants/sources";
import { startHarness, type Harness } from "../helpers/harness";
import { offlineWechat } from "../helpers/offline-notify";

const wx = offlineWechat({
  tag: "test",
  v3: { appid: "wx00000000000000b3", mchid: "1900000003" },
  v2: { appid: "wx00000000000000b2", mchid: "1900000002" },
  publicKeyId: "PUB_KEY_ID_0114232134912410000000000000000001",
  apiV3Key: "0123456789abcdefABCDEFGHIJKLMNOP",
  apiV2Key: "k".repeat(32),
});
const { v3, v2 } = wx;

let h: Harness;
let userId: string;
beforeAll(async () => {
  h = await startHarness({ merchants: [v3, v2], adapters: wechatAdapters(1000) });
  const [u] = await h.ds.query(
    `INSERT INTO users (merchant_id, appid, openid) VALUES ($1, $2, 'o-test') RETURNING id`,
    [merchantIdFor(v3.credentials.mchid), v3.credentials.appid],
  );
  userId = u.id;
});
afterAll(() => h.close());

/** A paying order of `m` for 100 fen, made directly in the database. */
async function payingOrder(m: MerchantSeed): Promise<{ id: string; outTradeNo: string }> {
  const outTradeNo = `MP${crypto.randomBytes(8).toString("hex").toUpperCase()}`;
  const [o] = await h.ds.query(
    `INSERT INTO orders (user_id, merchant_id, out_trade_no, state, total_fen, description, idempotency_key, request_hash, expires_at)
     VALUES ($1, $2, $3, 'paying', 100, 'Tea', $4, 'h', now() + interval '30 minutes') RETURNING id`,
    [userId, merchantIdFor(m.credentials.mchid), outTradeNo, crypto.randomUUID()],
  );
  return { id: o.id, outTradeNo };
}

const postV3 = (plain: Record<string, unknown>, tamper?: (h: Record<string, string>) => void) =>
  wx.postV3(h.url, wx.v3Body(plain), tamper);

const transaction = (outTradeNo: string, over: Record<string, unknown> = {}) =>
  wx.transaction(outTradeNo, `42000000002026112${crypto.randomInt(1e9, 1e10 - 1)}`, over);

const postV2 = (over: Record<string, string>) =>
  wx.postV2(h.url, wx.v2Fields("MP0000000000000001", "4200000000202611250000000001", over));

const anomalies = async (kind: string): Promise<number> =>
  (await h.ds.query(`SELECT count(*)::int AS n FROM anomalies WHERE kind = $1`, [kind]))[0].n;
const stateOf = async (id: string): Promise<string> =>
  (await h.ds.query(`SELECT state FROM orders WHERE id = $1`, [id]))[0].state;

describe("genuine notifies with impossible facts are acknowledged and flagged", () => {
  it.each([
    ["v3 out_trade_no with a NUL byte", (no: string) => postV3(transaction(`${no}\u0000`))],
    [
      "v3 success_time that is not a date",
      (no: string) => postV3(transaction(no, { success_time: "not a date" })),
    ],
    ["v2 time_end 99999999999999", (no: string) => postV2({ out_trade_no: no, time_end: "99999999999999" })],
    ["v2 out_trade_no with a NUL byte", (no: string) => postV2({ out_trade_no: `${no}\u0000` })],
  ])("%s", async (_label, post) => {
    const order = await payingOrder(v3);
    const before = await anomalies("invalid_notify_facts");
    const r = await post(order.outTradeNo);
    expect(r.status).toBeLessThan(300);
    expect(await anomalies("invalid_notify_facts")).toBe(before + 1);
    expect(await stateOf(order.id)).toBe("paying");
    // A redelivery is acknowledged the same way: no 5xx loop.
    expect((await post(order.outTradeNo)).status).toBeLessThan(300);
  });
});

it("a transaction id already on another order is flagged, the second order stays unpaid", async () => {
  const first = await payingOrder(v3);
  const second = await payingOrder(v3);
  const txid = "4200000000202611250000009999";
  expect((await postV3(transaction(first.outTradeNo, { transaction_id: txid }))).status).toBe(204);
  expect(await stateOf(first.id)).toBe("paid");
  const r = await postV3(transaction(second.outTradeNo, { transaction_id: txid }));
  expect(r.status).toBeLessThan(300);
  expect(await stateOf(second.id)).toBe("paying");
  const [a] = await h.ds.query(`SELECT kind FROM anomalies WHERE order_id = $1`, [second.id]);
  expect(a.kind).toBe("duplicate_transaction_id");
});

it("refused notifies get one generic answer; the reason is only in notify_log", async () => {
  const order = await payingOrder(v3);
  const bodies = new Set<string>();
  for (const tamper of [
    (hd: Record<string, string>) => (hd["wechatpay-signature"] = Buffer.alloc(256, 1).toString("base64")),
    (hd: Record<string, string>) =>
      (hd["wechatpay-timestamp"] = String(Math.floor(Date.now() / 1000) - 3600)),
    (hd: Record<string, string>) => (hd["wechatpay-serial"] = "PUB_KEY_ID_UNKNOWN"),
  ]) {
    const r = await postV3(transaction(order.outTradeNo), tamper);
    expect(r.status).toBe(401);
    const text = await r.text();
    expect(text).not.toMatch(/signature|serial|skew|timestamp/i);
    bodies.add(text);
  }
  expect(bodies.size).toBe(1);
  const reasons = await h.ds.query(
    `SELECT DISTINCT reason FROM notify_log WHERE outcome = 'rejected' AND reason IS NOT NULL ORDER BY reason`,
  );
  expect(reasons.map((x: { reason: string }) => x.reason)).toEqual(
    expect.arrayContaining(["bad_signature", "timestamp_skew", "unknown_serial"]),
  );
  expect(await stateOf(order.id)).toBe("paying");
});

it("notify_log records the sign type of accepted notifies", async () => {
  const order = await payingOrder(v3);
  expect((await postV3(transaction(order.outTradeNo))).status).toBe(204);
  const [row] = await h.ds.query(`SELECT sign_type FROM notify_log WHERE out_trade_no = $1`, [
    order.outTradeNo,
  ]);
  expect(row.sign_type).toBe("WECHATPAY2-SHA256-RSA2048");
});
