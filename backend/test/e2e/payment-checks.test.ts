/**
 * Per-order payment checks and expiry on the job engine (pg-boss in the same PostgreSQL), with the
 * schedule shortened for tests: a lost notify is recovered by the checks alone; the check is
 * enqueued in the same transaction as the prepay; expiry closes at WeChat first and a payment at
 * the last second is settled, never closed; with three backend instances on one database every
 * order is paid and WeChat is asked about each order once per step, not once per instance.
 */
import { EXPIRY_QUEUE } from "../../src/services/order-checks";
import { countingAdapters } from "../helpers/counting-adapters";
import { createTestDatabaseUrl } from "../helpers/db";
import {
  eventually,
  payingOrder,
  startStack,
  useSandbox,
  useStack,
  type Stack,
} from "../helpers/sandbox-stack";

const sandbox = useSandbox();
const SCHEDULE = [1, 1, 2];

describe("one instance", () => {
  let clockOffsetMs = 0;
  const stack = useStack(sandbox, "v3-public-key", {
    jobs: { scheduleSeconds: SCHEDULE },
    now: () => new Date(Date.now() + clockOffsetMs),
  });

  it("a dropped notify is recovered by the payment checks alone, within a few seconds", async () => {
    const p = await payingOrder(stack);
    const jobs = await stack.h.ds.query(
      `SELECT name, singleton_key FROM pgboss.job WHERE data->>'orderId' = $1 ORDER BY name`,
      [p.order.id],
    );
    expect(jobs.map((j: { name: string }) => j.name)).toEqual(["order-expiry", "payment-check"]);
    await stack.sb.scenario({ match: { out_trade_no: p.order.outTradeNo }, action: "drop_notify" });
    const t0 = Date.now();
    await stack.sb.pay({ prepay_id: p.prepayId, openid: p.openid, outcome: "SUCCESS" });
    await eventually(
      async () =>
        (await stack.api("GET", `/api/v1/orders/${p.order.id}`, { token: p.token })).body.state === "paid",
      15_000,
    );
    expect(Date.now() - t0).toBeLessThan(10_000);
    const [ev] = await stack.h.ds.query(
      `SELECT source FROM order_events WHERE order_id = $1 AND to_state = 'paid'`,
      [p.order.id],
    );
    expect(ev.source).toBe("check");
  });

  it("an order paid by notify stops its checks: the next step is a no-op and nothing more is queued", async () => {
    const p = await payingOrder(stack);
    await stack.sb.pay({ prepay_id: p.prepayId, openid: p.openid, outcome: "SUCCESS" });
    await eventually(
      async () =>
        (await stack.api("GET", `/api/v1/orders/${p.order.id}`, { token: p.token })).body.state === "paid",
    );
    await eventually(async () => {
      const open = await stack.h.ds.query(
        `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'payment-check' AND data->>'orderId' = $1 AND state IN ('created','retry','active')`,
        [p.order.id],
      );
      return open[0].n === 0;
    }, 10_000);
  });

  it("expiry closes at WeChat first; ORDERPAID at close settles the order as paid", async () => {
    const closes = await payingOrder(stack);
    const paidLate = await payingOrder(stack);
    await stack.sb.addScenarios([
      { match: { out_trade_no: paidLate.order.outTradeNo }, action: "close_orderpaid" },
      { match: { out_trade_no: paidLate.order.outTradeNo }, action: "drop_notify" },
    ]);
    clockOffsetMs = 31 * 60_000;
    try {
      // The expiry jobs wait for the orders' real expiry; here they are sent for "now".
      for (const p of [closes, paidLate])
        await stack.h
          .jobs()!
          .send(
            EXPIRY_QUEUE,
            { orderId: p.order.id, merchantId: stack.merchantId },
            { startAfter: new Date(), singletonKey: `expire-now:${p.order.id}` },
          );
      const state = async (p: typeof closes) =>
        (await stack.h.ds.query(`SELECT state FROM orders WHERE id = $1`, [p.order.id]))[0].state;
      await eventually(
        async () => (await state(closes)) === "expired" && (await state(paidLate)) === "paid",
        15_000,
      );
    } finally {
      clockOffsetMs = 0;
    }
    await expect(
      stack.sb.pay({ prepay_id: closes.prepayId, openid: closes.openid, outcome: "SUCCESS" }),
    ).rejects.toThrow();
  });
});

it("three instances on one database: every lost notify recovered, each order asked once per step", async () => {
  const databaseUrl = await createTestDatabaseUrl();
  const counts = new Map<string, number>();
  const stacks: Stack[] = [];
  try {
    for (let i = 0; i < 3; i++)
      stacks.push(
        await startStack(sandbox, "v3-public-key", {
          databaseUrl,
          masterKey: Buffer.alloc(32, 7),
          jobs: { scheduleSeconds: SCHEDULE },
          adapters: countingAdapters(counts),
        }),
      );
    const N = 60;
    const orders = [];
    for (let i = 0; i < N; i++) {
      const p = await payingOrder(stacks[i % 3]!);
      await stacks[0]!.sb.scenario({ match: { out_trade_no: p.order.outTradeNo }, action: "drop_notify" });
      await stacks[0]!.sb.pay({ prepay_id: p.prepayId, openid: p.openid, outcome: "SUCCESS" });
      orders.push(p.order);
    }
    const t0 = Date.now();
    await eventually(async () => {
      const [r] = await stacks[0]!.h.ds.query(`SELECT count(*)::int AS n FROM orders WHERE state = 'paid'`);
      return r.n === N;
    }, 30_000);
    const seconds = (Date.now() - t0) / 1000;
    const perOrder = orders.map((o) => counts.get(o.outTradeNo) ?? 0);
    // Paid before its first check, each order needs exactly one query, whichever instance runs it.
    expect(Math.max(...perOrder)).toBe(1);
    expect(Math.min(...perOrder)).toBe(1);
    console.log(
      `payment checks: ${N} orders over 3 instances paid ${seconds.toFixed(1)} s after the last payment; queries per order: 1`,
    );
  } finally {
    for (const s of stacks) await s.close();
  }
}, 60_000);

describe("jobs commit with the transaction that causes them", () => {
  const stack = useStack(sandbox, "v3-public-key", { jobs: { scheduleSeconds: [3600] } });
  const count = async (key: string): Promise<number> =>
    (await stack.h.ds.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE singleton_key = $1`, [key]))[0]
      .n;

  it("a rolled-back transaction leaves no job; a committed one does", async () => {
    const opts = (key: string) => ({ startAfter: new Date(Date.now() + 3600_000), singletonKey: key });
    await expect(
      stack.h.db.transaction(async (r) => {
        await r.jobs.enqueue(EXPIRY_QUEUE, { orderId: "x", merchantId: "y" }, opts("rolled-back"));
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    await stack.h.db.transaction((r) =>
      r.jobs.enqueue(EXPIRY_QUEUE, { orderId: "x", merchantId: "y" }, opts("committed")),
    );
    expect(await count("rolled-back")).toBe(0);
    expect(await count("committed")).toBe(1);
  });
});
