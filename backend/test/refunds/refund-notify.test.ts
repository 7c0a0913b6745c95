/**
 * Refund notifies, v2 (AES-256-ECB req_info, no sign) and v3 (signed, AEAD resource): the genuine
 * one is applied once and a replay of it changes nothing; a forged one is refused (4xx) and changes
 * nothing; a v3 refund notify sent to the pay URL is recognised by its event_type.
 */
import crypto from "node:crypto";
import { merchantIdFor } from "../../src/merchants/secrets";
import { aesEcbEncrypt, refundNotifyKey } from "../../src/wechat/v2/refund-notify";
import { eventually, useSandbox, type SandboxMerchantName } from "../helpers/sandbox-stack";
import { startRefundKit, type Copied, type RefundKit } from "./refund-kit";

const sandbox = useSandbox();

describe.each<SandboxMerchantName>(["v2-hmac", "v3-public-key"])("refund notifies: %s", (name) => {
  let kit: RefundKit;
  let base: string;
  beforeAll(async () => {
    kit = await startRefundKit(sandbox, name);
    base = `${kit.stack.h.url}/notify/wechat/${merchantIdFor(kit.stack.merchant.credentials.mchid)}`;
  });
  afterAll(() => kit?.close());

  const version = name.startsWith("v2") ? "v2" : "v3";
  const q = (sql: string, p: unknown[] = []) => kit.stack.h.ds.query(sql, p);
  const post = (url: string, c: Pick<Copied, "headers" | "body">) => {
    // The length is fetch's to set: a forged body differs from the copied one.
    const { "content-length": _len, ...headers } = c.headers;
    return fetch(url, { method: "POST", headers, body: c.body });
  };

  /** A refund that succeeded through its notify, and the copy of that notify. */
  async function refundedByNotify() {
    const o = await kit.paidOrder();
    const before = kit.copies.length;
    const r = await kit.refund(o.id, 700);
    expect(r.status).toBe(201);
    const copy = await eventually(
      async () => kit.copies.slice(before).find((c) => c.path.endsWith(`/${version}/refund`)),
      20_000,
    );
    await eventually(
      async () => (await q(`SELECT state FROM refunds WHERE id = $1`, [r.body.id]))[0].state === "succeeded",
    );
    return { o, refundId: r.body.id as string, copy };
  }

  const facts = async (orderId: string) => ({
    order: (await q(`SELECT state, refunded_fen::int AS r FROM orders WHERE id = $1`, [orderId]))[0],
    outbox: (
      await q(`SELECT count(*)::int AS n FROM outbox WHERE order_id = $1 AND topic LIKE 'refund.%'`, [
        orderId,
      ])
    )[0].n,
    events: (
      await q(
        `SELECT count(*)::int AS n FROM order_events WHERE order_id = $1 AND type = 'refund_succeeded'`,
        [orderId],
      )
    )[0].n,
    anomalies: (await q(`SELECT count(*)::int AS n FROM anomalies WHERE order_id = $1`, [orderId]))[0].n,
  });

  it("the notify is sent to the refund URL, applied once; replays of it change nothing", async () => {
    const { o, copy } = await refundedByNotify();
    expect(copy.path).toBe(
      `/notify/wechat/${merchantIdFor(kit.stack.merchant.credentials.mchid)}/${version}/refund`,
    );
    const after = await facts(o.id);
    expect(after).toEqual({
      order: { state: "partially_refunded", r: 700 },
      outbox: 1,
      events: 1,
      anomalies: 0,
    });
    for (let i = 0; i < 2; i++) {
      const res = await post(`${base}/${version}/refund`, copy);
      expect(res.status).toBeLessThan(300);
    }
    expect(await facts(o.id)).toEqual(after);
    const log = await q(
      `SELECT outcome FROM notify_log WHERE kind = 'refund' AND out_trade_no = $1 ORDER BY id`,
      [o.outTradeNo],
    );
    // Applied once (by this notify or, if the status job was first, by it), never twice.
    expect(log.filter((l: any) => l.outcome === "applied").length).toBeLessThanOrEqual(1);
    expect(log.slice(-2).map((l: any) => l.outcome)).toEqual(["noop", "noop"]);
  });

  it("a forged refund notify is refused and changes nothing", async () => {
    const { o, copy } = await refundedByNotify();
    const before = await facts(o.id);
    const logBefore = (await q(`SELECT count(*)::int AS n FROM notify_log WHERE outcome = 'rejected'`))[0].n;
    let forged: Pick<Copied, "headers" | "body">;
    if (version === "v2") {
      // Same envelope, req_info encrypted under a key that is not the merchant's.
      const inner =
        `<root><out_trade_no>${o.outTradeNo}</out_trade_no><out_refund_no>RFFORGED1</out_refund_no>` +
        `<refund_id>50000000000000000000000000001</refund_id><refund_fee>6800</refund_fee>` +
        `<total_fee>6800</total_fee><refund_status>SUCCESS</refund_status></root>`;
      const reqInfo = aesEcbEncrypt(inner, refundNotifyKey(crypto.randomBytes(16).toString("hex")));
      const body = copy.body
        .toString("utf8")
        .replace(/<req_info>.*?<\/req_info>/s, `<req_info><![CDATA[${reqInfo}]]></req_info>`);
      expect(body).toContain(reqInfo);
      forged = { headers: copy.headers, body: Buffer.from(body) };
    } else {
      // One byte of the encrypted resource changed: the signature no longer covers these bytes.
      const env = JSON.parse(copy.body.toString("utf8"));
      const ct = Buffer.from(env.resource.ciphertext, "base64");
      ct[0] ^= 1;
      env.resource.ciphertext = ct.toString("base64");
      forged = { headers: copy.headers, body: Buffer.from(JSON.stringify(env)) };
    }
    for (const url of [`${base}/${version}/refund`, ...(version === "v3" ? [`${base}/v3/pay`] : [])]) {
      const res = await post(url, forged);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(await res.text()).not.toMatch(/decrypt|signature|key/i);
    }
    expect(await facts(o.id)).toEqual(before);
    const logAfter = (await q(`SELECT count(*)::int AS n FROM notify_log WHERE outcome = 'rejected'`))[0].n;
    expect(logAfter).toBe(logBefore + (version === "v3" ? 2 : 1));
  });

  if (version === "v3")
    it("a v3 refund notify at the pay URL is told apart by event_type and handled as a refund", async () => {
      const { o, copy } = await refundedByNotify();
      expect(JSON.parse(copy.body.toString("utf8")).event_type).toBe("REFUND.SUCCESS");
      const before = await facts(o.id);
      const n = async () =>
        (
          await q(`SELECT count(*)::int AS n FROM notify_log WHERE kind = 'refund' AND out_trade_no = $1`, [
            o.outTradeNo,
          ])
        )[0].n;
      const logged = await n();
      const res = await post(`${base}/v3/pay`, copy);
      expect(res.status).toBe(204);
      expect(await n()).toBe(logged + 1);
      expect(await facts(o.id)).toEqual(before);
    });
});
