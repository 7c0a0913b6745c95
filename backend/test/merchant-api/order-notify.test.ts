/**
 * Per-order notifyUrl (README "Payment-centre mode"): a merchant-API Native order that names a
 * notifyUrl is paid by the sandbox through its codeUrl, and `order.paid` reaches that URL signed
 * with the merchant's order-notify secret (POST /admin/v1/order-notify-secret), verifiable with the
 * `standardwebhooks` package; the delivery is listed with its attempt in GET /admin/v1/webhook-deliveries.
 * Private addresses are allowed here, as with ALLOW_PRIVATE_WEBHOOKS=true (the receiver is local).
 */
import { ADMIN_PREFIX } from "@minipay/shared";
import { Webhook } from "standardwebhooks";
import { callJson } from "../helpers/http";
import { eventually, useSandbox, useStack } from "../helpers/sandbox-stack";
import { startReceiver, type Receiver } from "../helpers/webhook-receiver";
import { createOrder, keyFor, merchantCall, orderNo } from "./kit";

const sandbox = useSandbox();
const stack = useStack(sandbox, ["v3-public-key", "v2-md5"], {
  jobs: { scheduleSeconds: [600] },
  webhooks: { retrySeconds: [1, 1, 1], fanoutMs: 200 },
});

let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(() => rx.close());

it("a Native merchant order with notifyUrl: order.paid reaches it and verifies with the order-notify secret", async () => {
  const key = await keyFor(stack, stack.merchants[0]!);
  const admin = (method: string, path: string) =>
    callJson(stack.h.url, method, ADMIN_PREFIX + path, { token: key });
  const first = await admin("POST", "/order-notify-secret");
  expect(first.status).toBe(200);
  expect(first.body.previousSecretExpiresAt).toBeNull();
  const secret: string = first.body.secret;
  expect(secret).toMatch(/^whsec_/);
  // Not one of the merchant's listed endpoints.
  expect((await admin("GET", "/webhook-endpoints")).body.endpoints).toEqual([]);

  const call = merchantCall(stack, key);
  const created = await createOrder(call, {
    merchantOrderNo: orderNo(),
    amountFen: 321,
    description: "notify test",
    method: "native",
    notifyUrl: rx.urlFor("order-notify"),
  });
  expect(created.status).toBe(201);
  await stack.sb.pay({ code_url: created.body.payment.codeUrl, outcome: "SUCCESS" });

  const d = await eventually(async () => {
    const r = await admin("GET", "/webhook-deliveries?event=order.paid");
    const x = r.body.deliveries.find(
      (y: any) => y.payload.data.object.id === created.body.orderId && y.status === "succeeded",
    );
    return x ?? null;
  }, 30_000);
  expect(d.targetUrl).toBe(rx.urlFor("order-notify"));
  expect(d.attempts).toHaveLength(1);
  const [got] = rx.forEvent(d.eventId, "order-notify");
  const event = new Webhook(secret).verify(got!.body, got!.headers) as any;
  expect(event).toMatchObject({
    id: d.eventId,
    type: "order.paid",
    data: { object: { id: created.body.orderId, state: "paid" } },
  });
  // Another secret does not verify it.
  const again = await admin("POST", "/order-notify-secret");
  expect(again.body.previousSecretExpiresAt).toEqual(expect.any(String));
  expect(() => new Webhook(again.body.secret).verify(got!.body, got!.headers)).toThrow();
}, 60_000);
