/**
 * The one-statement notify settle (services/notify-settle.ts) seen from WeChat's side: a first
 * SUCCESS moves the order with its event, outbox and notify_log rows; duplicates (sequential or
 * ten at once) are acknowledged and logged but move nothing twice; facts the shortcut must not
 * handle still reach the full settle path and its anomalies; the metrics count each once.
 * Messages are signed by the sandbox's crypto with keys this test owns.
 */
import crypto from "node:crypto";
import { wechatAdapters } from "../../src/boot";
import { startHarness, type Harness } from "../helpers/harness";
import { offlineWechat } from "../helpers/offline-notify";

const wx = offlineWechat({
  tag: "settle",
  v3: { appid: "wx00000000000000c3", mchid: "1900000013" },
  v2: { appid: "wx00000000000000c2", mchid: "1900000012" },
  publicKeyId: "PUB_KEY_ID_0114232134912410000000000000000002",
  apiV3Key: "0123456789abcdefABCDEFGHIJKLMNOQ",
  apiV2Key: "s".repeat(32),
});
const { v3, v2, v3Id: V3_ID, v2Id: V2_ID } = wx;

let h: Harness;
let userId: string;
beforeAll(async () => {
  h = await startHarness({ merchants: [v3, v2], adapters: wechatAdapters(1000) });
  const [u] = await h.ds.query(
    `INSERT INTO users (merchant_id, appid, openid) VALUES ($1, $2, 'o-settle') RETURNING id`,
    [V3_ID, v3.credentials.appid],
  );
  userId = u.id;
});
afterAll(() => h.close());

async function order(merchantId: string, state = "paying"): Promise<{ id: string; outTradeNo: string }> {
  const outTradeNo = `MP${crypto.randomBytes(8).toString("hex").toUpperCase()}`;
  const [o] = await h.ds.query(
    `INSERT INTO orders (user_id, merchant_id, out_trade_no, state, total_fen, description, idempotency_key, request_hash, expires_at)
     VALUES ($1, $2, $3, $4, 100, 'Tea', $5, 'h', now() + interval '30 minutes') RETURNING id`,
    [userId, merchantId, outTradeNo, state, crypto.randomUUID()],
  );
  return { id: o.id, outTradeNo };
}

const txid = () => `4200000000202611${crypto.randomInt(1e9, 1e10 - 1)}00`;

const v3Body = (outTradeNo: string, transactionId: string, over: Record<string, unknown> = {}) =>
  wx.v3Body(wx.transaction(outTradeNo, transactionId, over));

const postV3 = (body: string) => wx.postV3(h.url, body);

const postV2 = (outTradeNo: string, transactionId: string, over: Record<string, string> = {}) =>
  wx.postV2(h.url, wx.v2Fields(outTradeNo, transactionId, over));

const one = async <T>(sql: string, params: unknown[]): Promise<T> => (await h.ds.query(sql, params))[0];
const counts = (orderId: string, outTradeNo: string) =>
  one<{ transitions: number; outbox: number; anomalies: number; logs: string[] }>(
    `SELECT
       (SELECT count(*)::int FROM order_events WHERE order_id = $1 AND type = 'transition') AS transitions,
       (SELECT count(*)::int FROM outbox WHERE order_id = $1) AS outbox,
       (SELECT count(*)::int FROM anomalies WHERE order_id = $1) AS anomalies,
       (SELECT coalesce(array_agg(outcome ORDER BY outcome), '{}') FROM notify_log WHERE out_trade_no = $2) AS logs`,
    [orderId, outTradeNo],
  );
const orderRow = (id: string) =>
  one<{ state: string; transaction_id: string | null; paid_at: Date | null }>(
    `SELECT state, transaction_id, paid_at FROM orders WHERE id = $1`,
    [id],
  );

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const l = /\{(.*)\}/.exec(line)?.[1] ?? "";
    if (Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

describe("a first SUCCESS and its duplicates", () => {
  it.each([
    ["v3", V3_ID, (no: string, tx: string) => postV3(v3Body(no, tx)), 204],
    ["v2", V2_ID, (no: string, tx: string) => postV2(no, tx), 200],
  ] as const)(
    "%s: applied once with event, outbox and log; the duplicate only logs",
    async (_v, merchant, post, ok) => {
      const o = await order(merchant);
      const tx = txid();
      const paidBefore = await metric("minipay_order_transitions_total", { from: "paying", to: "paid" });
      expect((await post(o.outTradeNo, tx)).status).toBe(ok);
      const row = await orderRow(o.id);
      expect(row.state).toBe("paid");
      expect(row.transaction_id).toBe(tx);
      expect(new Date(row.paid_at!).toISOString()).toBe("2026-11-25T02:00:00.000Z");
      expect(await counts(o.id, o.outTradeNo)).toEqual({
        transitions: 1,
        outbox: 1,
        anomalies: 0,
        logs: ["applied"],
      });
      const [ev] = await h.ds.query(
        `SELECT from_state, to_state, source, data FROM order_events WHERE order_id = $1`,
        [o.id],
      );
      expect(ev).toEqual({
        from_state: "paying",
        to_state: "paid",
        source: "notify",
        data: { tradeState: "SUCCESS", transactionId: tx },
      });
      const [ob] = await h.ds.query(`SELECT topic, dedupe_key, payload FROM outbox WHERE order_id = $1`, [
        o.id,
      ]);
      expect(ob).toEqual({
        topic: "order.paid",
        dedupe_key: `order.paid:${o.id}`,
        payload: { orderId: o.id, source: "notify" },
      });

      expect((await post(o.outTradeNo, tx)).status).toBe(ok);
      expect(await counts(o.id, o.outTradeNo)).toEqual({
        transitions: 1,
        outbox: 1,
        anomalies: 0,
        logs: ["applied", "noop"],
      });
      expect(await metric("minipay_order_transitions_total", { from: "paying", to: "paid" })).toBe(
        paidBefore + 1,
      );
    },
  );

  it("ten copies at once move the order once; every copy is acknowledged and logged", async () => {
    const o = await order(V3_ID);
    const tx = txid();
    const body = v3Body(o.outTradeNo, tx);
    const applied = await metric("minipay_notifies_total", { version: "v3", kind: "pay", result: "applied" });
    const noop = await metric("minipay_notifies_total", { version: "v3", kind: "pay", result: "noop" });
    const answers = await Promise.all(Array.from({ length: 10 }, () => postV3(body)));
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(204));
    const c = await counts(o.id, o.outTradeNo);
    expect(c).toEqual({
      transitions: 1,
      outbox: 1,
      anomalies: 0,
      logs: ["applied", ...Array(9).fill("noop")],
    });
    expect(await metric("minipay_notifies_total", { version: "v3", kind: "pay", result: "applied" })).toBe(
      applied + 1,
    );
    expect(await metric("minipay_notifies_total", { version: "v3", kind: "pay", result: "noop" })).toBe(
      noop + 9,
    );
  });

  it("a created order (no prepay seen yet) is paid the same way", async () => {
    const o = await order(V2_ID, "created");
    expect((await postV2(o.outTradeNo, txid())).status).toBe(200);
    expect((await orderRow(o.id)).state).toBe("paid");
    const [ev] = await h.ds.query(`SELECT from_state FROM order_events WHERE order_id = $1`, [o.id]);
    expect(ev.from_state).toBe("created");
  });
});

describe("facts the shortcut must not settle still reach the full path", () => {
  it("a second payment of a paid order under another transaction: duplicate_payment", async () => {
    const o = await order(V3_ID);
    expect((await postV3(v3Body(o.outTradeNo, txid()))).status).toBe(204);
    expect((await postV3(v3Body(o.outTradeNo, txid()))).status).toBe(204);
    const [a] = await h.ds.query(`SELECT kind FROM anomalies WHERE order_id = $1`, [o.id]);
    expect(a.kind).toBe("duplicate_payment");
    expect((await counts(o.id, o.outTradeNo)).logs).toEqual(["anomaly", "applied"]);
  });

  it("a wrong amount: amount_mismatch, the order unmoved, the log row names it", async () => {
    const o = await order(V2_ID);
    expect((await postV2(o.outTradeNo, txid(), { total_fee: "99" })).status).toBe(200);
    expect((await orderRow(o.id)).state).toBe("paying");
    const [log] = await h.ds.query(
      `SELECT outcome, reason, sign_type FROM notify_log WHERE out_trade_no = $1`,
      [o.outTradeNo],
    );
    expect(log).toEqual({ outcome: "anomaly", reason: "amount_mismatch", sign_type: "HMAC-SHA256" });
  });

  it("a payment after close: paid with the late-payment anomaly", async () => {
    const o = await order(V3_ID, "closed");
    expect((await postV3(v3Body(o.outTradeNo, txid()))).status).toBe(204);
    expect((await orderRow(o.id)).state).toBe("paid");
    const kinds = (await h.ds.query(`SELECT kind FROM anomalies WHERE order_id = $1`, [o.id])).map(
      (a: { kind: string }) => a.kind,
    );
    expect(kinds[0]).toMatch(/^paid_after_close/);
  });

  it("a transaction id another order holds: flagged, not written", async () => {
    const first = await order(V3_ID);
    const second = await order(V3_ID);
    const tx = txid();
    expect((await postV3(v3Body(first.outTradeNo, tx))).status).toBe(204);
    expect((await postV3(v3Body(second.outTradeNo, tx))).status).toBe(204);
    expect((await orderRow(second.id)).state).toBe("paying");
    const [a] = await h.ds.query(`SELECT kind FROM anomalies WHERE order_id = $1`, [second.id]);
    expect(a.kind).toBe("duplicate_transaction_id");
  });

  it("an unknown order: logged as an anomaly, nothing else written", async () => {
    const no = `MPUNKNOWN${crypto.randomBytes(4).toString("hex").toUpperCase()}`;
    expect((await postV3(v3Body(no, txid()))).status).toBe(204);
    const [log] = await h.ds.query(`SELECT outcome, reason FROM notify_log WHERE out_trade_no = $1`, [no]);
    expect(log).toEqual({ outcome: "anomaly", reason: "unknown_order" });
  });
});

describe("v2 bodies read by koa-xml-body", () => {
  const url = (kind: "pay" | "refund") => `${h.url}/notify/wechat/${V2_ID}/v2/${kind}`;

  it("a genuine notify with Chinese in a signed field after a charset=latin1 request is applied", async () => {
    const o = await order(V2_ID);
    const latin = await fetch(url("pay"), {
      method: "POST",
      headers: { "content-type": "text/xml; charset=latin1" },
      body: "<xml><a>x</a></xml>",
    });
    expect(latin.status).toBe(401); // unsigned: refused, and it must not change how later bodies decode
    expect((await postV2(o.outTradeNo, txid(), { attach: "门店一号 · 桂花糕" })).status).toBe(200);
    expect((await orderRow(o.id)).state).toBe("paid");
  });

  it.each(["pay", "refund"] as const)(
    "%s: DOCTYPE/ENTITY refused with a FAIL answer, oversize with 413",
    async (kind) => {
      for (const body of [
        `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><a>&x;</a></xml>`,
        `<!DOCTYPE xml><xml><return_code>SUCCESS</return_code></xml>`,
      ]) {
        const r = await fetch(url(kind), { method: "POST", headers: { "content-type": "text/xml" }, body });
        expect(r.status).toBe(400);
        expect(await r.text()).toContain("<return_code><![CDATA[FAIL]]></return_code>");
      }
      const big = await fetch(url(kind), {
        method: "POST",
        headers: { "content-type": "text/xml" },
        body: `<xml><a>${"x".repeat(70 * 1024)}</a></xml>`,
      });
      expect(big.status).toBe(413);
    },
  );
});
