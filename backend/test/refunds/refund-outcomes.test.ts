/**
 * How a refund ends when WeChat takes its time or says no (sandbox scenario `refund_outcome`): with
 * the notify dropped the status job alone makes it final; CLOSED frees the amount again; ABNORMAL
 * keeps it reserved, flags one anomaly and leaves the refund processing for a person.
 */
import { eventually, useSandbox, type SandboxMerchantName } from "../helpers/sandbox-stack";
import { startRefundKit, type RefundKit } from "./refund-kit";

const sandbox = useSandbox();

describe.each<SandboxMerchantName>(["v2-hmac", "v3-public-key"])("refund outcomes: %s", (name) => {
  let kit: RefundKit;
  beforeAll(async () => {
    kit = await startRefundKit(sandbox, name);
  });
  afterAll(() => kit?.close());
  afterEach(() => kit.stack.sb.clearScenarios());

  const q = (sql: string, p: unknown[] = []) => kit.stack.h.ds.query(sql, p);
  const row = async (id: string) =>
    (await q(`SELECT state, last_error FROM refunds WHERE id = $1`, [id]))[0] as {
      state: string;
      last_error: string | null;
    };

  it("no notify, WeChat slow to finish: the status job alone makes it succeeded", async () => {
    const o = await kit.paidOrder();
    const match = { out_trade_no: o.outTradeNo };
    await kit.stack.sb.scenario({ match, action: "drop_notify" });
    // 2000 WeChat seconds at the sandbox's time scale: about 2 s, past the first status check.
    await kit.stack.sb.scenario({ match, action: "refund_outcome", status: "SUCCESS", seconds: 2000 });
    const r = await kit.refund(o.id, 1200);
    expect([r.status, r.body.state]).toEqual([201, "processing"]);
    await eventually(async () => (await row(r.body.id)).state === "succeeded", 30_000);
    const log = await q(
      `SELECT count(*)::int AS n FROM notify_log WHERE kind = 'refund' AND out_trade_no = $1`,
      [o.outTradeNo],
    );
    expect(log[0].n).toBe(0);
    const events = await q(
      `SELECT source FROM order_events WHERE order_id = $1 AND type = 'refund_succeeded'`,
      [o.id],
    );
    expect(events).toEqual([{ source: "check" }]);
  });

  it("CLOSED: the refund is closed, the order unchanged, the amount refundable again", async () => {
    const o = await kit.paidOrder();
    await kit.stack.sb.scenario({
      match: { out_trade_no: o.outTradeNo },
      action: "refund_outcome",
      status: "CLOSED",
      times: 1,
    });
    const r = await kit.refund(o.id, o.totalFen);
    expect(r.status).toBe(201);
    await eventually(async () => (await row(r.body.id)).state === "closed", 30_000);
    const [order] = await q(`SELECT state, refunded_fen::int AS r FROM orders WHERE id = $1`, [o.id]);
    expect(order).toEqual({ state: "paid", r: 0 });
    const outbox = await q(`SELECT topic FROM outbox WHERE order_id = $1 AND topic LIKE 'refund.%'`, [o.id]);
    expect(outbox).toEqual([{ topic: "refund.failed" }]);
    const again = await kit.refund(o.id, o.totalFen);
    expect(again.status).toBe(201);
    await eventually(async () => (await row(again.body.id)).state === "succeeded", 30_000);
    const [after] = await q(`SELECT state, refunded_fen::int AS r FROM orders WHERE id = $1`, [o.id]);
    expect(after).toEqual({ state: "refunded", r: o.totalFen });
  });

  it("ABNORMAL: stays processing with the amount reserved; one anomaly however often it is heard", async () => {
    const o = await kit.paidOrder();
    await kit.stack.sb.scenario({
      match: { out_trade_no: o.outTradeNo },
      action: "refund_outcome",
      status: "ABNORMAL",
      times: 1,
    });
    const r = await kit.refund(o.id, o.totalFen);
    expect(r.status).toBe(201);
    const code = name.startsWith("v2") ? "CHANGE" : "ABNORMAL";
    await eventually(async () => (await row(r.body.id)).last_error === code, 30_000);
    // Let the status job hear it a few more times (its schedule here is 1, 1, 2 s).
    await new Promise((res) => setTimeout(res, 3000));
    expect(await row(r.body.id)).toEqual({ state: "processing", last_error: code });
    const anomalies = await q(`SELECT kind FROM anomalies WHERE order_id = $1`, [o.id]);
    expect(anomalies).toEqual([{ kind: "refund_abnormal" }]);
    const more = await kit.refund(o.id, 1);
    expect([more.status, more.body.error.code]).toEqual([400, "REFUND_AMOUNT_INVALID"]);
  });
});
