/**
 * Reconciliation against the sandbox's real bills (v2 downloadbill, v3 tradebill + file), one
 * planted difference at a time: each run reports exactly the planted mismatch and nothing else,
 * linked to our order (or refund), flagged as an anomaly, audited and counted in /metrics.
 */
import crypto from "node:crypto";
import type { OurRefund } from "../../src/domain/reconcile";
import { shanghaiDate } from "../../src/domain/reconcile";
import { useSandbox, useStack, type SandboxMerchantName } from "../helpers/sandbox-stack";
import { admin, adminKey, NO_MISMATCHES, paidOrder, sandboxRefund, unpaidOrder } from "./kit";

const sandbox = useSandbox();

describe.each<SandboxMerchantName>(["v2-hmac", "v3-public-key"])("reconciliation with %s", (name) => {
  const ourRefunds: OurRefund[] = [];
  const stack = useStack(sandbox, name, { refundsForDay: async () => ourRefunds });
  let key: string;
  let paidSoFar = 0;
  const today = () => shanghaiDate(new Date());
  const mchid = () => stack.merchant.credentials.mchid;

  beforeAll(async () => {
    key = await adminKey(stack);
  });

  /** Run today's reconciliation through the admin API; the answer and the run as GET shows it. */
  async function run() {
    const res = await admin(stack, key, "POST", "/reconciliations", { date: today() });
    expect(res.status).toBe(201);
    const again = await admin(stack, key, "GET", `/reconciliations/${res.body.id}`);
    expect(again.body).toEqual(res.body);
    return res.body;
  }

  it("a bill that agrees with us: every line matched, no mismatch", async () => {
    await paidOrder(stack);
    await paidOrder(stack);
    paidSoFar += 2;
    const r = await run();
    expect(r).toMatchObject({
      billDate: today(),
      status: "completed",
      trigger: "admin",
      billFound: true,
      billRows: paidSoFar,
      matched: paidSoFar,
      counts: NO_MISMATCHES,
      mismatches: [],
    });
  });

  it("missing at WeChat: our paid order is not in the bill", async () => {
    const o = await paidOrder(stack);
    paidSoFar++;
    await stack.sb.scenario({
      match: { out_trade_no: o.no, mchid: mchid() },
      action: "bill_missing_at_wechat",
    });
    const r = await run();
    expect(r.counts).toEqual({ ...NO_MISMATCHES, missing_at_wechat: 1 });
    expect(r.mismatches).toEqual([
      expect.objectContaining({ kind: "missing_at_wechat", orderId: o.id, outTradeNo: o.no, wechat: null }),
    ]);
    expect(r.matched).toBe(paidSoFar - 1);
    // Flagged as an anomaly of that order, for the merchant to resolve.
    const a = await admin(stack, key, "GET", "/anomalies?kind=reconciliation_missing_at_wechat");
    expect(a.body.anomalies.map((x: any) => x.orderId)).toContain(o.id);
  });

  it("missing here: the bill has a payment we never made", async () => {
    const no = `MPX${crypto.randomBytes(6).toString("hex").toUpperCase()}`;
    await stack.sb.scenario({
      match: { out_trade_no: no, mchid: mchid() },
      action: "bill_missing_here",
      amount_fen: 4321,
    });
    const r = await run();
    expect(r.counts).toEqual({ ...NO_MISMATCHES, missing_here: 1 });
    expect(r.mismatches).toEqual([
      expect.objectContaining({
        kind: "missing_here",
        orderId: null,
        outTradeNo: no,
        ours: null,
        wechat: expect.objectContaining({ amountFen: 4321, state: "SUCCESS" }),
      }),
    ]);
    expect(r.matched).toBe(paidSoFar);
  });

  it("amount differs: the bill states another amount for our order", async () => {
    const o = await paidOrder(stack);
    paidSoFar++;
    await stack.sb.scenario({
      match: { out_trade_no: o.no, mchid: mchid() },
      action: "bill_amount",
      amount_fen: o.totalFen + 1,
    });
    const r = await run();
    expect(r.counts).toEqual({ ...NO_MISMATCHES, amount_mismatch: 1 });
    expect(r.mismatches).toEqual([
      expect.objectContaining({
        kind: "amount_mismatch",
        orderId: o.id,
        wechat: expect.objectContaining({ amountFen: o.totalFen + 1 }),
        ours: expect.objectContaining({ totalFen: o.totalFen, state: "paid" }),
      }),
    ]);
  });

  it("state differs: the bill says paid, we hold the order as unpaid", async () => {
    const o = await unpaidOrder(stack);
    await stack.sb.scenario({ match: { out_trade_no: o.no, mchid: mchid() }, action: "bill_state" });
    const r = await run();
    expect(r.counts).toEqual({ ...NO_MISMATCHES, state_mismatch: 1 });
    expect(r.mismatches).toEqual([
      expect.objectContaining({
        kind: "state_mismatch",
        orderId: o.id,
        ours: expect.objectContaining({ state: "paying" }),
      }),
    ]);
    expect(r.matched).toBe(paidSoFar);
  });

  it("refund differs: the bill's refund line states another amount than our refund", async () => {
    const o = await paidOrder(stack);
    paidSoFar++;
    const refund = await sandboxRefund(stack, o, 100);
    ourRefunds.push(refund);
    // Without a plant, the refund line matches our record.
    const clean = await run();
    expect(clean.counts).toEqual(NO_MISMATCHES);
    expect(clean.matched).toBe(paidSoFar + 1);

    await stack.sb.scenario({
      match: { out_trade_no: o.no, mchid: mchid() },
      action: "bill_refund",
      amount_fen: 150,
    });
    const r = await run();
    expect(r.counts).toEqual({ ...NO_MISMATCHES, refund_mismatch: 1 });
    expect(r.mismatches).toEqual([
      expect.objectContaining({
        kind: "refund_mismatch",
        detail: "amount",
        orderId: o.id,
        refundId: refund.id,
        outRefundNo: refund.outRefundNo,
        wechat: expect.objectContaining({ amountFen: 150 }),
        ours: expect.objectContaining({ amountFen: 100 }),
      }),
    ]);
  });

  it("lists runs newest first with their counts; every run is audited and counted in /metrics", async () => {
    const list = await admin(stack, key, "GET", "/reconciliations?limit=100");
    expect(list.status).toBe(200);
    const kinds = list.body.runs.map((r: any) =>
      Object.entries(r.counts)
        .filter(([, n]) => n)
        .map(([k]) => k),
    );
    expect(kinds.slice(0, 6)).toEqual([
      ["refund_mismatch"],
      [],
      ["state_mismatch"],
      ["amount_mismatch"],
      ["missing_here"],
      ["missing_at_wechat"],
    ]);
    const audits = await stack.h.ds.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE merchant_id = $1 AND action = 'reconciliation.run'`,
      [stack.merchantId],
    );
    expect(audits[0].n).toBe(list.body.runs.length);
    const metrics = await (await fetch(`${stack.h.url}/metrics`)).text();
    expect(metrics).toContain('minipay_reconciliation_mismatches_total{kind="state_mismatch"} 1');
    expect(metrics).toMatch(
      /minipay_wechat_call_duration_seconds_count\{endpoint="downloadTradeBill",outcome="ok"\} [1-9]/,
    );
  });

  it("another merchant's run is not found; a bad date is a 400", async () => {
    const bad = await admin(stack, key, "POST", "/reconciliations", { date: "2026-02-30" });
    expect([bad.status, bad.body.error.code]).toEqual([400, "VALIDATION_FAILED"]);
    const none = await admin(stack, key, "GET", "/reconciliations/999999");
    expect([none.status, none.body.error.code]).toEqual([404, "RESOURCE_NOT_FOUND"]);
  });
});

describe("reconciliation: a corrupted v3 bill file", () => {
  // A sandbox of its own: the bill above holds the other suite's orders of the same merchant.
  const own = useSandbox();
  const stack = useStack(own, "v3-public-key");

  it("fails the hash check: BILL_REJECTED, a failed run, no mismatch and no anomaly", async () => {
    const key = await adminKey(stack);
    await paidOrder(stack);
    await stack.sb.scenario({ match: { mchid: stack.merchant.credentials.mchid }, action: "bill_corrupt" });
    const res = await admin(stack, key, "POST", "/reconciliations", { date: shanghaiDate(new Date()) });
    expect([res.status, res.body.error.code]).toEqual([502, "BILL_REJECTED"]);
    const run = await admin(stack, key, "GET", `/reconciliations/${res.body.error.details.runId}`);
    expect(run.body).toMatchObject({
      status: "failed",
      billFound: false,
      counts: NO_MISMATCHES,
      mismatches: [],
    });
    expect(run.body.error).toMatch(/^hash_mismatch: /);
    const anomalies = await stack.h.ds.query(
      `SELECT count(*)::int AS n FROM anomalies WHERE source = 'reconciliation'`,
    );
    expect(anomalies[0].n).toBe(0);

    // Served whole again, the same day reconciles.
    await stack.sb.clearScenarios();
    const ok = await admin(stack, key, "POST", "/reconciliations", { date: shanghaiDate(new Date()) });
    expect(ok.body).toMatchObject({ status: "completed", matched: 1, counts: NO_MISMATCHES });
  });
});
