/**
 * Refund events reach the merchant: a succeeded refund sends `refund.succeeded` whose object is the
 * refund as GET /admin/v1/refunds/{id} shows it, signed like every webhook (verified with the
 * `standardwebhooks` package).
 */
import { Webhook } from "standardwebhooks";
import { eventually, useSandbox } from "../helpers/sandbox-stack";
import { startReceiver, type Receiver } from "../helpers/webhook-receiver";
import { startRefundKit, type RefundKit } from "./refund-kit";

const sandbox = useSandbox();
let kit: RefundKit;
let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
  kit = await startRefundKit(sandbox, "v3-public-key", {
    webhooks: { retrySeconds: [1, 1, 1], fanoutMs: 200 },
  });
});
afterAll(async () => {
  await kit.close();
  await rx.close();
});

it("a succeeded partial refund sends refund.succeeded carrying the refund as the admin API shows it", async () => {
  const ep = await kit.admin("POST", "/webhook-endpoints", {
    url: rx.urlFor("refunds"),
    events: ["refund.succeeded", "refund.failed"],
  });
  expect(ep.status).toBe(201);
  const order = await kit.paidOrder(1);
  const made = await kit.refund(order.id, 1200, { reason: "damaged box" });
  expect(made.status).toBe(201);
  await kit.allFinal();
  const d = await eventually(async () => {
    const r = await kit.admin("GET", `/webhook-deliveries?endpoint=${ep.body.id}&event=refund.succeeded`);
    const x = r.body.deliveries.find((y: any) => y.payload.data.object.id === made.body.id);
    return x?.status === "succeeded" ? x : null;
  }, 30_000);
  const [got] = rx.forEvent(d.eventId, "refunds");
  const event = new Webhook(ep.body.secret).verify(got!.body, got!.headers) as any;
  const shown = (await kit.admin("GET", `/refunds/${made.body.id}`)).body;
  expect(event).toMatchObject({ type: "refund.succeeded", data: { object: { state: "succeeded" } } });
  expect(event.data.object).toEqual(shown);
  expect(shown).toMatchObject({ orderId: order.id, amountFen: 1200 });
});
