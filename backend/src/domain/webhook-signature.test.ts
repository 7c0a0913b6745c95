import crypto from "node:crypto";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { formatWebhookSecret, isWebhookSecret, signWebhook, webhookSignature } from "./webhook-signature";

const secret = () => formatWebhookSecret(crypto.randomBytes(32));

describe("Standard Webhooks signing", () => {
  it("matches the published test vector", () => {
    expect(
      webhookSignature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", {
        id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp: 1614265330,
        body: '{"test": 2432232314}',
      }),
    ).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("is what the standardwebhooks library signs and verifies", () => {
    const s = secret();
    const at = new Date();
    const body = JSON.stringify({ id: "evt_1", type: "order.paid", data: { object: { amount: "一元" } } });
    const headers = signWebhook([s], { id: "evt_1", at, body });
    const wh = new Webhook(s);
    expect(headers["webhook-signature"]).toBe(wh.sign("evt_1", at, body));
    expect(wh.verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("with two secrets signs with both, space-separated: a receiver holding either verifies", () => {
    const [current, previous] = [secret(), secret()];
    const body = '{"id":"evt_2"}';
    const headers = signWebhook([current, previous], { id: "evt_2", at: new Date(), body });
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(new Webhook(current).verify(body, headers)).toEqual({ id: "evt_2" });
    expect(new Webhook(previous).verify(body, headers)).toEqual({ id: "evt_2" });
    expect(() => new Webhook(secret()).verify(body, headers)).toThrow(WebhookVerificationError);
  });

  it("a changed body, id or timestamp no longer verifies", () => {
    const s = secret();
    const at = new Date();
    const headers = signWebhook([s], { id: "evt_3", at, body: '{"a":1}' });
    const wh = new Webhook(s);
    expect(() => wh.verify('{"a":2}', headers)).toThrow(WebhookVerificationError);
    expect(() => wh.verify('{"a":1}', { ...headers, "webhook-id": "evt_4" })).toThrow(
      WebhookVerificationError,
    );
    const ts = String(Number(headers["webhook-timestamp"]) - 1);
    expect(() => wh.verify('{"a":1}', { ...headers, "webhook-timestamp": ts })).toThrow(
      WebhookVerificationError,
    );
  });

  it("timestamps are whole seconds of the attempt's time", () => {
    const h = signWebhook([secret()], { id: "evt_5", at: new Date(1_700_000_000_999), body: "{}" });
    expect(h["webhook-timestamp"]).toBe("1700000000");
  });

  it("secrets are whsec_ + base64 of 24–64 random bytes; ids may not contain a dot", () => {
    const s = secret();
    expect(isWebhookSecret(s)).toBe(true);
    expect(Buffer.from(s.slice(6), "base64")).toHaveLength(32);
    expect(() => formatWebhookSecret(Buffer.alloc(16))).toThrow();
    expect(() => webhookSignature(s, { id: "evt.1", timestamp: 1, body: "" })).toThrow();
    expect(() => webhookSignature("not-a-secret", { id: "evt_1", timestamp: 1, body: "" })).toThrow();
    expect(() => signWebhook([], { id: "evt_1", at: new Date(), body: "" })).toThrow();
  });
});
