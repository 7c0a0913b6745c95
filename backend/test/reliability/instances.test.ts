/**
 * G6 and issue 13's last check, at scale (the 60-order version is in e2e/payment-checks.test.ts):
 * three backend instances on one database with the job engine on; every order's notify is lost,
 * so only the payment checks can pay it. All orders end paid, and WeChat is asked about each order
 * at most once per check step however many instances run the jobs.
 */
import { countingAdapters } from "../helpers/counting-adapters";
import { createTestDatabaseUrl } from "../helpers/db";
import { eventually, idemKey, startStack, useSandbox, type Stack } from "../helpers/sandbox-stack";
import { Capture, pool, record, sandboxSecrets, scanAndRecord, size } from "./kit";

const N = size(30, 500);
const SCHEDULE = [1, 1, 2];
const sandbox = useSandbox();

it(`three instances on one database: ${N} orders with lost notifies all paid by the checks`, async () => {
  const databaseUrl = await createTestDatabaseUrl();
  const counts = new Map<string, number>();
  const stacks: Stack[] = [];
  const capture = new Capture();
  sandboxSecrets(sandbox, capture);
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
    const shoppers: { token: string; openid: string }[] = [];
    for (const s of stacks) shoppers.push(await s.login());
    for (const s of shoppers) capture.openids.add(s.openid);
    const t0 = Date.now();
    const orders = await pool(
      Array.from({ length: N }, (_, i) => i),
      6,
      async (i) => {
        const stack = stacks[i % 3]!;
        const who = shoppers[i % 3]!;
        const api = stack.client(who.token);
        const order = await api.createOrder({ items: [{ productId: "oolong-tea", quantity: 1 }] }, idemKey());
        await stack.sb.scenario({ match: { out_trade_no: order.outTradeNo }, action: "drop_notify" });
        const pay = await api.createPayment(order.id, "jsapi");
        const prepayId = pay.method === "jsapi" ? pay.params.package.slice("prepay_id=".length) : "";
        await stack.sb.pay({ prepay_id: prepayId, openid: who.openid, outcome: "SUCCESS" });
        return order;
      },
    );
    const tLast = Date.now();
    await eventually(async () => {
      const [r] = await stacks[0]!.h.ds.query(`SELECT count(*)::int AS n FROM orders WHERE state = 'paid'`);
      return r.n === N;
    }, 300_000);
    const after = (Date.now() - tLast) / 1000;
    const total = (Date.now() - t0) / 1000;
    const [bySource] = await stacks[0]!.h.ds.query(
      `SELECT count(*) FILTER (WHERE source = 'check')::int AS checks, count(*)::int AS n FROM order_events WHERE to_state = 'paid'`,
    );
    const perOrder = orders.map((o) => counts.get(o.outTradeNo) ?? 0);
    const histogram = new Map<number, number>();
    for (const n of perOrder) histogram.set(n, (histogram.get(n) ?? 0) + 1);
    // An order is asked once per step at most: paid at WeChat before its first check, once in all;
    // if the first check came before the payment (a loaded machine), once more at the next step.
    const overAsked = perOrder.filter((n) => n < 1 || n > SCHEDULE.length).length;
    const wrong = overAsked + (N - bySource.n) + (bySource.n - bySource.checks);
    record({
      goal: "G6",
      check: "payment checks, 3 instances",
      tried: "orders with lost notifies, paid only by the checks of three instances on one database",
      count: N,
      wrong,
      detail: `paid=${bySource.n} (by checks ${bySource.checks}); orderqueries=${perOrder.reduce((a, b) => a + b, 0)}, per order ${[
        ...histogram,
      ]
        .sort(([a], [b]) => a - b)
        .map(([q, n]) => `${q}×:${n}`)
        .join(" ")}; all paid ${after.toFixed(1)} s after the last payment, ${total.toFixed(1)} s in all`,
    });
    expect(wrong).toBe(0);
    expect(
      scanAndRecord(
        "3 instances",
        capture,
        stacks.flatMap((s) => s.h.logs),
      ),
    ).toEqual([]);
  } finally {
    for (const s of stacks) await s.close();
  }
}, 600_000);
