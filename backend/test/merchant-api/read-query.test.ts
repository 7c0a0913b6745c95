/**
 * GET /merchant/v1/orders/{no} is cheap, yet finds a payment whose notify never came: a pending
 * order older than a few seconds is asked about at WeChat through the one query-and-settle path,
 * at most once per few seconds per order (a claim in the database). The clock is moved instead
 * of waiting.
 */
import { eventually, useSandbox, useStack } from "../helpers/sandbox-stack";
import { createOrder, keyFor, merchantCall, orderNo } from "./kit";

const sandbox = useSandbox();
const stack = useStack(sandbox, "v2-hmac");

afterEach(() => {
  stack.clockOffsetMs = 0;
});

async function paidWithoutNotify(call: ReturnType<typeof merchantCall>) {
  const body = {
    merchantOrderNo: orderNo(),
    amountFen: 500,
    description: "停车费 Parking",
    method: "native",
  };
  const r = await createOrder(call, body);
  expect(r.status).toBe(201);
  await stack.sb.scenario({ match: { out_trade_no: r.body.outTradeNo }, action: "drop_notify" });
  return { body, order: r.body };
}

const queries = async (orderId: string) =>
  (await stack.h.ds.query(`SELECT last_query_at FROM merchant_orders WHERE order_id = $1`, [orderId]))[0]
    .last_query_at as Date | null;

it("a young pending order is not asked about; once a few seconds old, a read settles it (source verify)", async () => {
  const call = merchantCall(stack, await keyFor(stack, stack.merchant, ["orders:read", "orders:write"]));
  const { body, order } = await paidWithoutNotify(call);
  await stack.sb.pay({ code_url: order.payment.codeUrl, outcome: "SUCCESS" });

  const young = await call("GET", `/orders/${body.merchantOrderNo}`);
  expect(young.body.state).toBe("paying");
  expect(await queries(order.orderId)).toBeNull(); // WeChat was not asked

  stack.clockOffsetMs = 10_000;
  const old = await call("GET", `/orders/${body.merchantOrderNo}`);
  expect(old.body.state).toBe("paid");
  expect(old.body.transactionId).toBeTruthy();
  const ev = await stack.h.ds.query(
    `SELECT source FROM order_events WHERE order_id = $1 AND to_state = 'paid'`,
    [order.orderId],
  );
  expect(ev).toEqual([{ source: "verify" }]);
});

it("reads within the gap do not ask WeChat again (one claim per gap); the next read after the gap does", async () => {
  const call = merchantCall(stack, await keyFor(stack, stack.merchant, ["orders:read", "orders:write"]));
  const { body, order } = await paidWithoutNotify(call);
  stack.clockOffsetMs = 10_000;
  // Unpaid yet: the first read asks (and finds it unpaid), the burst after it does not ask again.
  const reads = await Promise.all([1, 2, 3, 4, 5].map(() => call("GET", `/orders/${body.merchantOrderNo}`)));
  expect(reads.every((r) => r.status === 200 && r.body.state === "paying")).toBe(true);
  const first = await queries(order.orderId);
  expect(first).not.toBeNull();

  await stack.sb.pay({ code_url: order.payment.codeUrl, outcome: "SUCCESS" });
  const within = await call("GET", `/orders/${body.merchantOrderNo}`);
  expect(within.body.state).toBe("paying"); // rate-limited: still what we knew
  expect((await queries(order.orderId))!.getTime()).toBe(first!.getTime());

  stack.clockOffsetMs = 16_000;
  const after = await eventually(async () => {
    const r = await call("GET", `/orders/${body.merchantOrderNo}`);
    return r.body.state === "paid" ? r : null;
  });
  expect(after.body.paidAt).toBeTruthy();
  expect((await queries(order.orderId))!.getTime()).toBeGreaterThan(first!.getTime());
});

it("the checkout status turns to 'over' once the order's time is up, before any job expires it", async () => {
  const call = merchantCall(stack, await keyFor(stack, stack.merchant, ["orders:write"]));
  const body = {
    merchantOrderNo: orderNo(),
    amountFen: 300,
    description: "门票 Ticket",
    method: "h5page",
    expiresInMinutes: 2,
  };
  const r = await createOrder(call, body);
  expect(r.status).toBe(201);
  const status = () => fetch(`${r.body.checkoutUrl}/status`).then((s) => s.json() as Promise<any>);
  expect((await status()).phase).toBe("pending");
  stack.clockOffsetMs = 3 * 60_000;
  expect(await status()).toMatchObject({ phase: "over", returnUrl: null });
  // The page itself offers no QR for it.
  const html = await fetch(r.body.checkoutUrl).then((p) => p.text());
  expect(html).toContain('data-phase="over"');
  expect(html).not.toContain('id="qr"');
});

it("WeChat failing on prepay: the order is kept (created), the error is 5xx-upstream, a repeat gets the QR", async () => {
  const call = merchantCall(stack, await keyFor(stack, stack.merchant, ["orders:read", "orders:write"]));
  const body = { merchantOrderNo: orderNo(), amountFen: 990, description: "洗车 Car wash", method: "native" };
  await stack.sb.scenario({ action: "prepay_error", mode: "http_500", times: 50 });
  const failed = await createOrder(call, body);
  expect([502, 503]).toContain(failed.status);
  expect(["UPSTREAM_ERROR", "UPSTREAM_UNAVAILABLE", "WECHAT_BUSY"]).toContain(failed.body.error.code);
  expect((await call("GET", `/orders/${body.merchantOrderNo}`)).body.state).toBe("created");
  await stack.sb.clearScenarios();
  const again = await createOrder(call, body);
  expect(again.status).toBe(200);
  expect(again.body.state).toBe("paying");
  expect(again.body.payment.codeUrl).toMatch(/^weixin:\/\//);
});
