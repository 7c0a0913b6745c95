/**
 * G1 (docs/reliability.md C1): every order of four merchants (v2 MD5, v2 HMAC, v3 certificate, v3
 * public key) gets 10 concurrent copies of its pay notify from the sandbox. Exactly one `paid`
 * transition, one outbox row, one webhook delivery and one webhook request per order.
 */
import { ADMIN_PREFIX, ADMIN_SCOPES } from "@minipay/shared";
import { CLI_ACTOR } from "../../src/services/admin/actor";
import { ApiKeyService } from "../../src/services/admin/keys";
import { merchantIdFor } from "../../src/merchants/secrets";
import { callJson } from "../helpers/http";
import { eventually, idemKey, MERCHANTS, useSandbox, useStack } from "../helpers/sandbox-stack";
import { startReceiver, type Receiver } from "../helpers/webhook-receiver";
import { Capture, pool, record, sandboxSecrets, scanAndRecord, size } from "./kit";

const N = size(24, 1000);
const COPIES = 10;
const sandbox = useSandbox();
const stack = useStack(sandbox, MERCHANTS, {
  jobs: { scheduleSeconds: [3600] },
  webhooks: { retrySeconds: [1, 1, 1], fanoutMs: 200 },
});
let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(() => rx.close());

it(`${N} orders × ${COPIES} concurrent duplicate notifies: one transition, one outbox row, one webhook each`, async () => {
  const capture = new Capture();
  sandboxSecrets(sandbox, capture);
  const keys = new ApiKeyService(stack.h.deps);
  const shoppers: { token: string; openid: string }[] = [];
  for (const m of stack.merchants) {
    const id = merchantIdFor(m.credentials.mchid);
    const key = (await keys.create(id, { name: "dup", scopes: [...ADMIN_SCOPES] }, CLI_ACTOR)).key;
    const ep = await callJson(stack.h.url, "POST", ADMIN_PREFIX + "/webhook-endpoints", {
      token: key,
      body: { url: rx.urlFor(id), events: ["order.paid"] },
    });
    expect(ep.status).toBe(201);
    const s = await stack.login(undefined, m);
    capture.openids.add(s.openid);
    shoppers.push(s);
  }
  const t0 = Date.now();
  const orders = await pool(
    Array.from({ length: N }, (_, i) => i),
    8,
    async (i) => {
      const who = shoppers[i % shoppers.length]!;
      const api = stack.client(who.token);
      const order = await api.createOrder({ items: [{ productId: "oolong-tea", quantity: 1 }] }, idemKey());
      const pay = await api.createPayment(order.id, "jsapi");
      capture.add(JSON.stringify(order));
      const prepayId =
        pay.method === "jsapi" ? pay.params.package.slice("prepay_id=".length) : "unexpected method";
      await stack.sb.scenario({
        match: { out_trade_no: order.outTradeNo },
        action: "duplicate_notify",
        times: COPIES,
      });
      await stack.sb.pay({ prepay_id: prepayId, openid: who.openid, outcome: "SUCCESS" });
      return order;
    },
  );
  const tPaid0 = Date.now();
  // Every copy is answered; one that took longer than the sandbox's (time-scaled) 1 s timeout is
  // retried by it, as WeChat would. Done when each order has an acknowledged delivery.
  const ackedOrders = () =>
    new Set(
      sandbox.sandbox.context.notifier.attempts
        .filter((a) => a.kind === "pay" && a.ok)
        .map((a) => a.out_trade_no),
    ).size;
  await eventually(async () => ackedOrders() >= N, 240_000).catch((e) => {
    const all = sandbox.sandbox.context.notifier.attempts;
    const summary = new Map<string, number>();
    for (const a of all) {
      const k = `${a.kind} ok=${a.ok} status=${a.status} ${a.error ?? ""} ${(a.responseBody ?? "").slice(0, 80)}`;
      summary.set(k, (summary.get(k) ?? 0) + 1);
    }
    throw new Error(`${(e as Error).message}: ${JSON.stringify([...summary])}`);
  });
  const tAcked = Date.now();
  const sent = sandbox.sandbox.context.notifier.attempts.filter((a) => a.kind === "pay");
  const acked = sent.filter((a) => a.ok).length;
  const [paid] = await stack.h.ds.query(`SELECT count(*)::int AS n FROM orders WHERE state = 'paid'`);
  // The fan-out turns each outbox row into one delivery per endpoint; sending is not waited for.
  await eventually(
    async () => (await stack.h.ds.query(`SELECT count(*)::int AS n FROM webhook_deliveries`))[0].n >= N,
    120_000,
  );
  const seconds = (Date.now() - t0) / 1000;
  const phases = `orders ${((tPaid0 - t0) / 1000).toFixed(1)} s, notifies ${((tAcked - tPaid0) / 1000).toFixed(1)} s`;
  const perOrder = async (sql: string) => (await stack.h.ds.query(sql)) as { n: number }[];
  const doubleMoves = await perOrder(
    `SELECT order_id, count(*)::int AS n FROM order_events WHERE to_state = 'paid' GROUP BY order_id HAVING count(*) > 1`,
  );
  const doubleOutbox = await perOrder(
    `SELECT order_id, count(*)::int AS n FROM outbox GROUP BY order_id HAVING count(*) > 1`,
  );
  const [deliveries] = await stack.h.ds.query(
    `SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS events FROM webhook_deliveries`,
  );
  const perReceived = new Map<string, number>();
  for (const r of rx.received) {
    const id = JSON.parse(r.body).data.object.id as string;
    perReceived.set(id, (perReceived.get(id) ?? 0) + 1);
  }
  const doubleWebhooks = [...perReceived.values()].filter((n) => n > 1).length;
  for (const r of rx.received) capture.add(r.body);
  const wrong =
    doubleMoves.length + doubleOutbox.length + (deliveries.n - deliveries.events) + doubleWebhooks;
  record({
    goal: "G1",
    check: "duplicate notifies",
    tried: `orders (v2 MD5, v2 HMAC, v3 cert, v3 public key) × ${COPIES} concurrent copies`,
    count: N,
    wrong: wrong + (N - paid.n),
    detail: `deliveries=${sent.length} acked=${acked} paid=${paid.n} double transitions=${doubleMoves.length} double outbox=${doubleOutbox.length} webhook deliveries=${deliveries.n} webhooks received=${rx.received.length} doubled=${doubleWebhooks}; ${seconds.toFixed(1)} s (${phases})`,
  });
  expect(paid.n).toBe(N);
  expect(orders).toHaveLength(N);
  expect(wrong).toBe(0);
  expect(scanAndRecord("duplicates", capture, stack.h.logs)).toEqual([]);
}, 600_000);
