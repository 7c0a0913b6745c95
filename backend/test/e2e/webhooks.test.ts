/**
 * Merchant webhooks end to end: the sandbox pays a Native (QR) order through its codeUrl, WeChat's
 * notify settles it, and `order.paid` reaches the merchant's receiver, verified with the
 * `standardwebhooks` package and the endpoint's secret. A receiver answering 500 twice gets the
 * event a third time on the (time-scaled) schedule, with three attempts recorded; a manual retry
 * resends it; a rotated secret and the previous one both verify during the overlap; another
 * merchant's key sees and changes none of it. Private addresses are allowed here, as with
 * ALLOW_PRIVATE_WEBHOOKS=true (the receiver is on this machine).
 */
import { ADMIN_PREFIX, ADMIN_SCOPES } from "@minipay/shared";
import { Webhook } from "standardwebhooks";
import { CLI_ACTOR } from "../../src/services/admin/actor";
import { ApiKeyService } from "../../src/services/admin/keys";
import { merchantIdFor } from "../../src/merchants/secrets";
import { callJson } from "../helpers/http";
import { eventually, idemKey, useSandbox, useStack } from "../helpers/sandbox-stack";
import { startReceiver, type Receiver } from "../helpers/webhook-receiver";

const sandbox = useSandbox();
const stack = useStack(sandbox, ["v3-public-key", "v2-md5"], {
  jobs: { scheduleSeconds: [600] },
  webhooks: { retrySeconds: [1, 1, 1], fanoutMs: 200 },
});

let rx: Receiver;
let key: string;
let otherKey: string;
beforeAll(async () => {
  rx = await startReceiver();
  const keys = new ApiKeyService(stack.h.deps);
  key = (await keys.create(stack.merchantId, { name: "shop server", scopes: [...ADMIN_SCOPES] }, CLI_ACTOR))
    .key;
  const other = merchantIdFor(stack.merchants[1]!.credentials.mchid);
  otherKey = (await keys.create(other, { name: "other shop", scopes: [...ADMIN_SCOPES] }, CLI_ACTOR)).key;
});
afterAll(() => rx.close());

const admin = (method: string, path: string, k = key, body?: unknown) =>
  callJson(stack.h.url, method, ADMIN_PREFIX + path, { token: k, body });

/** A shopper's Native order, paid by the sandbox through its codeUrl; resolves when the backend has it paid. */
async function payNative() {
  const { token, openid } = await stack.login();
  const o = await stack.api("POST", "/api/v1/orders", {
    token,
    body: { items: [{ productId: "oolong-tea", quantity: 1 }] },
    headers: { "idempotency-key": idemKey() },
  });
  expect(o.status).toBe(201);
  const qr = await stack.api("POST", `/api/v1/orders/${o.body.id}/payments`, {
    token,
    body: { method: "native" },
  });
  expect(qr.status).toBe(200);
  await stack.sb.pay({ code_url: qr.body.codeUrl, openid, outcome: "SUCCESS" });
  await eventually(
    async () => (await stack.api("GET", `/api/v1/orders/${o.body.id}`, { token })).body.state === "paid",
  );
  return o.body as { id: string; outTradeNo: string };
}

async function deliveryFor(endpointId: string, orderId: string, until: (d: any) => boolean) {
  return eventually(async () => {
    const r = await admin("GET", `/webhook-deliveries?endpoint=${endpointId}&event=order.paid`);
    const d = r.body.deliveries.find((x: any) => x.payload.data.object.id === orderId);
    return d && until(d) ? d : null;
  }, 30_000);
}

it("a paid Native order sends order.paid, which verifies with standardwebhooks and the endpoint's secret", async () => {
  const ep = await admin("POST", "/webhook-endpoints", key, {
    url: rx.urlFor("paid"),
    events: ["order.paid"],
  });
  expect(ep.status).toBe(201);
  const order = await payNative();
  const d = await deliveryFor(ep.body.id, order.id, (x) => x.status === "succeeded");
  const [got] = rx.forEvent(d.eventId, "paid");
  const event = new Webhook(ep.body.secret).verify(got!.body, got!.headers) as any;
  const shown = (await admin("GET", `/orders/${order.id}`)).body;
  expect(event).toMatchObject({
    id: d.eventId,
    type: "order.paid",
    data: { object: { id: order.id, state: "paid" } },
  });
  expect(got!.headers["webhook-id"]).toBe(d.eventId);
  // The object is the order as the admin API shows it.
  for (const k of Object.keys(event.data.object)) expect([k, event.data.object[k]]).toEqual([k, shown[k]]);
  expect(event.data.object.transactionId).toEqual(expect.any(String));
  expect(d.attempts).toHaveLength(1);
});

it("a receiver answering 500 twice gets the event a third time; three attempts recorded; a manual retry resends it", async () => {
  const ep = await admin("POST", "/webhook-endpoints", key, {
    url: rx.urlFor("flaky"),
    events: ["order.paid"],
  });
  rx.answer([500, 500, 200], "flaky");
  try {
    const order = await payNative();
    const d = await deliveryFor(ep.body.id, order.id, (x) => x.status === "succeeded");
    expect(d.attempts.map((a: any) => a.statusCode)).toEqual([500, 500, 200]);
    expect(d.attemptCount).toBe(3);
    const got = rx.forEvent(d.eventId, "flaky");
    expect(got).toHaveLength(3);
    const wh = new Webhook(ep.body.secret);
    for (const g of got) expect(wh.verify(g.body, g.headers)).toMatchObject({ id: d.eventId });

    const retried = await admin("POST", `/webhook-deliveries/${d.id}/retry`);
    expect(retried.status).toBe(200);
    await deliveryFor(ep.body.id, order.id, (x) => x.attemptCount === 4 && x.status === "succeeded");
    const all = rx.forEvent(d.eventId, "flaky");
    expect(all).toHaveLength(4);
    expect(all[3]!.body).toBe(all[0]!.body);
    expect(wh.verify(all[3]!.body, all[3]!.headers)).toMatchObject({ id: d.eventId });
  } finally {
    rx.answer([200], "flaky");
  }
});

it("after a rotation the new and the previous secret both verify while the overlap lasts", async () => {
  const ep = await admin("POST", "/webhook-endpoints", key, {
    url: rx.urlFor("rotated"),
    events: ["order.paid"],
  });
  const rotated = await admin("POST", `/webhook-endpoints/${ep.body.id}/rotate-secret`);
  expect(rotated.status).toBe(200);
  const order = await payNative();
  const d = await deliveryFor(ep.body.id, order.id, (x) => x.status === "succeeded");
  const [got] = rx.forEvent(d.eventId, "rotated");
  expect(new Webhook(rotated.body.secret).verify(got!.body, got!.headers)).toMatchObject({ id: d.eventId });
  expect(new Webhook(ep.body.secret).verify(got!.body, got!.headers)).toMatchObject({ id: d.eventId });
});

it("another merchant's key cannot read or change this merchant's endpoints and deliveries", async () => {
  const ep = await admin("POST", "/webhook-endpoints", key, {
    url: rx.urlFor("mine"),
    events: ["order.paid"],
  });
  const [d] = (await admin("GET", "/webhook-deliveries?limit=1")).body.deliveries;
  expect(
    (await admin("PATCH", `/webhook-endpoints/${ep.body.id}`, otherKey, { enabled: false })).status,
  ).toBe(404);
  expect((await admin("DELETE", `/webhook-endpoints/${ep.body.id}`, otherKey)).status).toBe(404);
  expect((await admin("POST", `/webhook-endpoints/${ep.body.id}/rotate-secret`, otherKey)).status).toBe(404);
  expect((await admin("POST", `/webhook-deliveries/${d.id}/retry`, otherKey)).status).toBe(404);
  expect((await admin("GET", "/webhook-endpoints", otherKey)).body.endpoints).toEqual([]);
  expect((await admin("GET", "/webhook-deliveries", otherKey)).body.deliveries).toEqual([]);
  const mine = (await admin("GET", "/webhook-endpoints")).body.endpoints.find(
    (e: any) => e.id === ep.body.id,
  );
  expect(mine.enabled).toBe(true);
});
