/**
 * Day boundaries, with one clock shared by the sandbox and the backend: an order paid at 23:59:59
 * Asia/Shanghai and applied here after midnight belongs to that day's bill (matched), is not
 * missing from the next day's, and a day without trades ("No Bill Exist" / NO_STATEMENT_EXIST) is an
 * empty bill, not an error. Also the daily job: its cron is registered and its fan-out reconciles
 * yesterday for the merchant.
 */
import { wechatAdapters } from "../../src/boot";
import {
  previousShanghaiDay,
  RECONCILE_CRON,
  RECONCILE_DAILY_QUEUE,
} from "../../src/jobs/reconciliation-queues";
import { createGateway } from "../../src/wechat/gateway-factory";
import {
  eventually,
  payingOrder,
  startStack,
  startTestSandbox,
  useSandbox,
  type Sandbox,
  type SandboxMerchantName,
  type Stack,
} from "../helpers/sandbox-stack";
import { admin, adminKey, NO_MISMATCHES } from "./kit";

const DAY = "2026-11-20";
const at = (local: string) => Date.parse(`${local}+08:00`);

describe.each<SandboxMerchantName>(["v2-hmac", "v3-public-key"])("day boundaries with %s", (name) => {
  const clock = { ms: at(`${DAY}T23:59:30`) };
  const now = () => new Date(clock.ms);
  let sandbox: Sandbox;
  let stack: Stack;
  beforeAll(async () => {
    sandbox = await startTestSandbox({ now: () => clock.ms });
    stack = await startStack(sandbox, name, {
      now,
      adapters: {
        gateway: (s) => createGateway(s.credentials, { timeoutMs: 3000, clock: now }),
        auth: wechatAdapters(3000).auth,
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await sandbox?.close();
  });

  it("an order paid at 23:59:59 and applied after midnight is matched on its day, missing on none", async () => {
    const key = await adminKey(stack);
    const { order, prepayId, token } = await payingOrder(stack);
    // No notify: the payment is applied only when we ask, after midnight.
    await stack.sb.scenario({ match: { mchid: stack.merchant.credentials.mchid }, action: "drop_notify" });
    clock.ms = at(`${DAY}T23:59:59`);
    await stack.sb.pay({ prepay_id: prepayId });
    clock.ms = at("2026-11-21T00:00:05");
    expect((await stack.client(token).verify(order.id)).state).toBe("paid");
    const [row] = await stack.h.ds.query(`SELECT paid_at, updated_at FROM orders WHERE id = $1`, [order.id]);
    expect(new Date(row.paid_at).toISOString()).toBe("2026-11-20T15:59:59.000Z");

    const day = await admin(stack, key, "POST", "/reconciliations", { date: DAY });
    expect(day.status).toBe(201);
    expect(day.body).toMatchObject({
      billFound: true,
      billRows: 1,
      matched: 1,
      counts: NO_MISMATCHES,
      mismatches: [],
    });

    const next = await admin(stack, key, "POST", "/reconciliations", { date: "2026-11-21" });
    expect(next.status).toBe(201);
    expect(next.body).toMatchObject({
      status: "completed",
      billFound: false,
      billRows: 0,
      matched: 0,
      counts: NO_MISMATCHES,
      mismatches: [],
    });
  });

  it("a day without any trade: no bill at WeChat, a completed run with zero rows", async () => {
    const key = await adminKey(stack);
    const res = await admin(stack, key, "POST", "/reconciliations", { date: "2026-11-01" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: "completed",
      billFound: false,
      billRows: 0,
      counts: NO_MISMATCHES,
    });
  });
});

describe("the daily reconciliation job", () => {
  const sandbox = useSandbox();
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(sandbox, "v2-hmac", { jobs: { scheduleSeconds: [600] } });
  });
  afterAll(() => stack?.close());

  it("is scheduled at 10:30 Asia/Shanghai, and its run reconciles yesterday for each merchant", async () => {
    const [s] = await stack.h.ds.query(`SELECT cron, timezone FROM pgboss.schedule WHERE name = $1`, [
      RECONCILE_DAILY_QUEUE,
    ]);
    expect(s).toEqual({ cron: RECONCILE_CRON, timezone: "Asia/Shanghai" });
    expect(RECONCILE_CRON).toBe("30 10 * * *");

    // What the cron fires, fired now.
    await stack.h.jobs()!.send(RECONCILE_DAILY_QUEUE, {}, { startAfter: new Date(), singletonKey: "now" });
    const yesterday = previousShanghaiDay(new Date());
    const run = await eventually(async () => {
      const rows = await stack.h.ds.query(
        `SELECT to_char(bill_date, 'YYYY-MM-DD') AS day, status, trigger, bill_found FROM reconciliation_runs
         WHERE merchant_id = $1`,
        [stack.merchantId],
      );
      return rows[0];
    }, 30_000);
    expect(run).toEqual({ day: yesterday, status: "completed", trigger: "schedule", bill_found: false });
  });
});
