/**
 * Refunds through /merchant/v1 against the sandbox: the admin refund route's service behind the
 * merchant's own order number. A partial refund succeeds and shows in GET /orders/{no}; more than
 * is left is REFUND_AMOUNT_INVALID; the same Idempotency-Key gives the same refund back; another
 * merchant's key finds nothing (404); a key without refunds:write is 403; one audit row per refund
 * with the key as the actor.
 */
import { ADMIN_SCOPES } from "@minipay/shared";
import { Webhook } from "standardwebhooks";
import { eventually, idemKey, useSandbox } from "../helpers/sandbox-stack";
import { startReceiver, type Receiver } from "../helpers/webhook-receiver";
import { startRefundKit, type RefundKit } from "../refunds/refund-kit";
import { createOrder, keyFor, merchantCall, orderNo } from "./kit";

const sandbox = useSandbox();
let kit: RefundKit;
let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
  kit = await startRefundKit(sandbox, ["v3-public-key", "v2-md5"], {
    webhooks: { retrySeconds: [1, 1, 1], fanoutMs: 200 },
  });
});
afterAll(async () => {
  await kit?.close();
  await rx?.close();
});

/** A paid Native merchant order (paid by the sandbox through its codeUrl). */
async function paidMerchantOrder(
  call: ReturnType<typeof merchantCall>,
  amountFen = 5000,
  extra: Record<string, unknown> = {},
) {
  const no = orderNo();
  const made = await createOrder(call, {
    merchantOrderNo: no,
    amountFen,
    description: "refund test",
    method: "native",
    ...extra,
  });
  expect(made.status).toBe(201);
  await kit.stack.sb.pay({ code_url: made.body.payment.codeUrl, outcome: "SUCCESS" });
  await eventually(async () => (await call("GET", `/orders/${no}`)).body.state === "paid", 20_000);
  return { no, orderId: made.body.orderId as string };
}

it("partial refund, idempotent retry, over-refund refused, refunds shown on the order, audited", async () => {
  const call = merchantCall(kit.stack, kit.key);
  const { no, orderId } = await paidMerchantOrder(call);
  const key = idemKey();
  const refund = (amountFen: number, k = key) =>
    call("POST", `/orders/${no}/refunds`, { amountFen, reason: "partial" }, { "idempotency-key": k });

  const first = await refund(1200);
  expect(first.status).toBe(201);
  expect(first.body).toMatchObject({ orderId, amountFen: 1200, reason: "partial" });
  const again = await refund(1200);
  expect([again.status, again.body.id]).toEqual([200, first.body.id]);
  const reused = await refund(1300);
  expect([reused.status, reused.body.error.code]).toEqual([409, "IDEMPOTENCY_KEY_REUSED"]);
  const noKey = await call("POST", `/orders/${no}/refunds`, { amountFen: 1 });
  expect([noKey.status, noKey.body.error.code]).toEqual([400, "IDEMPOTENCY_KEY_REQUIRED"]);

  const shown = await eventually(async () => {
    const g = await call("GET", `/orders/${no}`);
    return g.body.refunds?.[0]?.state === "succeeded" ? g.body : null;
  }, 20_000);
  expect(shown).toMatchObject({ state: "partially_refunded", refundedFen: 1200 });
  expect(shown.refunds).toHaveLength(1);
  expect(shown.refunds[0]).toMatchObject({ id: first.body.id, amountFen: 1200 });
  expect(kit.wechatRefunds(first.body.outTradeNo)).toHaveLength(1);

  const over = await refund(5000 - 1200 + 1, idemKey());
  expect([over.status, over.body.error.code]).toEqual([400, "REFUND_AMOUNT_INVALID"]);

  const audits = await kit.stack.h.ds.query(
    `SELECT actor_key_id, actor_key_name FROM audit_log WHERE action = 'refund.create' AND target_id = $1`,
    [first.body.id],
  );
  expect(audits).toHaveLength(1);
  // The merchant's API key is the actor (the kit's key is named "refund tests").
  expect(audits[0]).toEqual({ actor_key_id: expect.any(String), actor_key_name: "refund tests" });
});

it("another merchant's key gets 404; a key without refunds:write gets 403", async () => {
  const call = merchantCall(kit.stack, kit.key);
  const { no } = await paidMerchantOrder(call, 800);
  const otherKey = await keyFor(kit.stack, kit.stack.merchants[1]!);
  const other = await merchantCall(kit.stack, otherKey)(
    "POST",
    `/orders/${no}/refunds`,
    { amountFen: 100 },
    { "idempotency-key": idemKey() },
  );
  expect([other.status, other.body.error.code]).toEqual([404, "RESOURCE_NOT_FOUND"]);
  const readOnly = await keyFor(
    kit.stack,
    kit.stack.merchants[0]!,
    ADMIN_SCOPES.filter((s) => s !== "refunds:write"),
  );
  const denied = await merchantCall(kit.stack, readOnly)(
    "POST",
    `/orders/${no}/refunds`,
    { amountFen: 100 },
    { "idempotency-key": idemKey() },
  );
  expect(denied.status).toBe(403);
  expect(denied.body.error.details).toEqual({ requiredScope: "refunds:write" });
  const [n] = await kit.stack.h.ds.query(
    `SELECT count(*)::int AS n FROM refunds r JOIN merchant_orders m ON m.order_id = r.order_id
     WHERE m.merchant_order_no = $1`,
    [no],
  );
  expect(n.n).toBe(0);
});

it("refund.succeeded of an order with a notifyUrl reaches that URL, signed with the order-notify secret", async () => {
  const secret = (await kit.admin("POST", "/order-notify-secret")).body.secret as string;
  const call = merchantCall(kit.stack, kit.key);
  const { no, orderId } = await paidMerchantOrder(call, 900, { notifyUrl: rx.urlFor("refunds") });
  const made = await call(
    "POST",
    `/orders/${no}/refunds`,
    { amountFen: 300 },
    { "idempotency-key": idemKey() },
  );
  expect(made.status).toBe(201);
  const d = await eventually(async () => {
    const r = await kit.admin("GET", "/webhook-deliveries?event=refund.succeeded&status=succeeded");
    return r.body.deliveries.find((x: any) => x.payload.data.object?.id === made.body.id) ?? null;
  }, 30_000);
  expect(d.targetUrl).toBe(rx.urlFor("refunds"));
  const [got] = rx.forEvent(d.eventId, "refunds");
  const event = new Webhook(secret).verify(got!.body, got!.headers) as any;
  expect(event).toMatchObject({
    type: "refund.succeeded",
    data: { object: { id: made.body.id, orderId, amountFen: 300, state: "succeeded" } },
  });
  // order.paid went there too.
  const paid = await kit.admin("GET", "/webhook-deliveries?event=order.paid");
  expect(
    paid.body.deliveries.some(
      (x: any) => x.payload.data.object.id === orderId && x.targetUrl === rx.urlFor("refunds"),
    ),
  ).toBe(true);
}, 60_000);
