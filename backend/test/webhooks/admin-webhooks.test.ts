/**
 * Merchant webhooks over the real admin API, job engine and PostgreSQL, with local receivers
 * (private addresses allowed, as with ALLOW_PRIVATE_WEBHOOKS=true) and a time-scaled schedule:
 * endpoints and their secrets, fan-out from the outbox, retries with every attempt recorded,
 * manual retry, rotation overlap, disabling an endpoint that keeps failing, and the URL checks.
 */
import { ADMIN_PREFIX } from "@minipay/shared";
import { Webhook } from "standardwebhooks";
import { eventually } from "../helpers/sandbox-stack";
import { makeOrder, makeUser } from "../helpers/orders";
import { startReceiver, type Receiver } from "../helpers/webhook-receiver";
import { A, B, anomaly, merchantA, startAdmin, type AdminKit } from "../admin/admin-kit";

const EP = `${ADMIN_PREFIX}/webhook-endpoints`;
const DL = `${ADMIN_PREFIX}/webhook-deliveries`;

describe("webhooks (admin API, fan-out, delivery)", () => {
  let kit: AdminKit;
  let key: string;
  let rx: Receiver;

  beforeAll(async () => {
    kit = await startAdmin({
      jobs: { scheduleSeconds: [600] },
      webhooks: { retrySeconds: [1, 1, 1], fanoutMs: 200 },
    });
    key = (await kit.key(A, ["webhooks:write", "orders:write", "orders:read"])).key;
    rx = await startReceiver();
  });
  afterAll(async () => {
    await kit.close();
    await rx.close();
  });

  const create = async (body: object, k = key) => kit.call("POST", EP, k, body);
  const deliveriesOf = async (endpointId: string) =>
    (await kit.call("GET", `${DL}?endpoint=${endpointId}`, key)).body.deliveries as any[];

  it("creates an endpoint and shows its secret once; lists, updates and deletes it, each audited", async () => {
    const audits = await kit.auditCount(A);
    const made = await create({
      url: rx.url,
      events: ["order.paid", "order.paid", "anomaly.flagged"],
      description: "shop",
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      url: rx.url,
      events: ["order.paid", "anomaly.flagged"],
      description: "shop",
      enabled: true,
      disabledReason: null,
      previousSecretExpiresAt: null,
    });
    expect(made.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const list = await kit.call("GET", EP, key);
    expect(list.body.endpoints).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain(made.body.secret);
    expect(list.body.endpoints[0]).not.toHaveProperty("secret");

    const patched = await kit.call("PATCH", `${EP}/${made.body.id}`, key, {
      events: ["order.closed"],
      enabled: false,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ events: ["order.closed"], enabled: false });

    expect((await kit.call("DELETE", `${EP}/${made.body.id}`, key)).status).toBe(204);
    expect((await kit.call("PATCH", `${EP}/${made.body.id}`, key, { enabled: true })).status).toBe(404);
    expect((await kit.call("GET", EP, key)).body.endpoints).toEqual([]);
    expect(await kit.auditCount(A)).toBe(audits + 3);
    const [row] = await kit.h.ds.query(
      `SELECT after FROM audit_log WHERE action = 'webhook_endpoint.create' ORDER BY id DESC LIMIT 1`,
    );
    expect(JSON.stringify(row.after)).not.toContain("whsec_");
  });

  it("refuses bad input with stable 4xx codes", async () => {
    const bad = [
      { url: "ftp://example.com/x", events: ["order.paid"] },
      { url: rx.url, events: [] },
      { url: rx.url, events: ["order.shipped"] },
      { url: rx.url, events: ["order.paid"], extra: 1 },
    ];
    for (const b of bad) expect((await create(b)).body.error.code).toBe("VALIDATION_FAILED");
    expect((await kit.call("PATCH", `${EP}/not-a-uuid`, key, { enabled: true })).status).toBe(404);
    expect((await kit.call("POST", `${DL}/abc/retry`, key)).status).toBe(404);
    expect((await kit.call("GET", `${DL}?status=lost`, key)).status).toBe(400);
    expect((await kit.call("GET", `${DL}?cursor=nonsense!`, key)).status).toBe(400);
  });

  it("an event reaches a subscribed endpoint, signed; a receiver answering 500 twice gets it a third time", async () => {
    rx.answer([500, 500, 200], "thrice");
    const made = await create({ url: rx.urlFor("thrice"), events: ["anomaly.flagged"] });
    const other = await create({ url: rx.urlFor("other"), events: ["order.paid"] }); // not subscribed: gets nothing
    const anomalyId = await anomaly(kit.h, A);

    const done = await eventually(async () => {
      const [d] = await deliveriesOf(made.body.id);
      return d?.status === "succeeded" ? d : null;
    }, 30_000);
    expect(done).toMatchObject({ eventType: "anomaly.flagged", attemptCount: 3, nextAttemptAt: null });
    expect(done.attempts.map((a: any) => a.statusCode)).toEqual([500, 500, 200]);
    expect(done.attempts[0]).toMatchObject({ responseHead: "no (500)", error: "HTTP 500" });
    expect(done.attempts[2]).toMatchObject({ responseHead: "thanks", error: null });
    expect(done.attempts.every((a: any) => Number.isInteger(a.latencyMs) && a.latencyMs >= 0)).toBe(true);

    const got = rx.forEvent(done.eventId, "thrice");
    expect(got).toHaveLength(3);
    const wh = new Webhook(made.body.secret);
    for (const g of got) {
      expect(g.body).toBe(got[0]!.body); // the same body on every attempt
      expect(wh.verify(g.body, g.headers)).toMatchObject({ id: done.eventId, type: "anomaly.flagged" });
    }
    const payload = JSON.parse(got[0]!.body);
    expect(payload).toEqual({
      id: done.eventId,
      type: "anomaly.flagged",
      createdAt: expect.any(String),
      data: { object: expect.objectContaining({ id: anomalyId, kind: "amount_mismatch", resolvedAt: null }) },
    });
    expect(done.payload).toEqual(payload);
    expect(() => new Webhook(other.body.secret).verify(got[0]!.body, got[0]!.headers)).toThrow();
    expect(await deliveriesOf(other.body.id)).toEqual([]);
  });

  it("a manual retry sends the same event again with a fresh signature, and is audited", async () => {
    const made = await create({ url: rx.urlFor("retried"), events: ["anomaly.flagged"] });
    await anomaly(kit.h, A);
    const first = await eventually(async () => {
      const [d] = await deliveriesOf(made.body.id);
      return d?.status === "succeeded" ? d : null;
    }, 30_000);
    const audits = await kit.auditCount(A);
    const retried = await kit.call("POST", `${DL}/${first.id}/retry`, key);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id: first.id, status: "pending", attemptCount: 1 });
    expect(await kit.auditCount(A)).toBe(audits + 1);
    const again = await eventually(async () => {
      const [d] = await deliveriesOf(made.body.id);
      return d?.attemptCount === 2 && d.status === "succeeded" ? d : null;
    }, 30_000);
    expect(again.attempts).toHaveLength(2);
    const got = rx.forEvent(first.eventId, "retried");
    expect(got).toHaveLength(2);
    expect(got[1]!.body).toBe(got[0]!.body);
    expect(new Webhook(made.body.secret).verify(got[1]!.body, got[1]!.headers)).toBeTruthy();
  });

  it("after a rotation both the new and the old secret verify deliveries during the overlap", async () => {
    const made = await create({ url: rx.urlFor("rotated"), events: ["anomaly.flagged"] });
    const rotated = await kit.call("POST", `${EP}/${made.body.id}/rotate-secret`, key);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(made.body.secret);
    const overlapH = (Date.parse(rotated.body.previousSecretExpiresAt) - Date.now()) / 3_600_000;
    expect(overlapH).toBeGreaterThan(23.9);
    expect(overlapH).toBeLessThanOrEqual(24);
    await anomaly(kit.h, A);
    const d = await eventually(async () => {
      const [x] = await deliveriesOf(made.body.id);
      return x?.status === "succeeded" ? x : null;
    }, 30_000);
    const [got] = rx.forEvent(d.eventId, "rotated");
    expect(got!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(new Webhook(rotated.body.secret).verify(got!.body, got!.headers)).toBeTruthy();
    expect(new Webhook(made.body.secret).verify(got!.body, got!.headers)).toBeTruthy();
    // Once the overlap is over only the new secret signs.
    await kit.h.ds.query(
      `UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`,
      [made.body.id],
    );
    await kit.call("POST", `${DL}/${d.id}/retry`, key);
    const later = await eventually(async () => {
      const g = rx.forEvent(d.eventId, "rotated");
      return g.length === 2 ? g[1] : null;
    }, 30_000);
    expect(later.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    expect(() => new Webhook(made.body.secret).verify(later.body, later.headers)).toThrow();
  });

  it("closing an order publishes order.closed with the order as the admin API shows it", async () => {
    const made = await create({ url: rx.url, events: ["order.closed"] });
    const userId = await makeUser(kit.h.db, A, merchantA.credentials.appid);
    const order = await makeOrder(kit.h.db, { merchantId: A, userId, productId: "mooncake", quantity: 1 });
    const closed = await kit.call("POST", `${ADMIN_PREFIX}/orders/${order.id}/close`, key);
    expect(closed.status).toBe(200);
    const d = await eventually(async () => {
      const [x] = await deliveriesOf(made.body.id);
      return x?.status === "succeeded" ? x : null;
    }, 30_000);
    const summary = (await kit.call("GET", `${ADMIN_PREFIX}/orders?outTradeNo=${order.outTradeNo}`, key)).body
      .orders[0];
    expect(d.payload).toMatchObject({ type: "order.closed", data: { object: summary } });
    expect(d.payload.data.object.state).toBe("closed");
  });

  it("an unpaid order that lapses publishes order.expired", async () => {
    const made = await create({ url: rx.urlFor("expired"), events: ["order.expired"] });
    const userId = await makeUser(kit.h.db, A, merchantA.credentials.appid);
    const hourAgo = new Date(Date.now() - 3_600_000);
    const order = await makeOrder(kit.h.db, {
      merchantId: A,
      userId,
      productId: "mooncake",
      quantity: 1,
      now: hourAgo,
    });
    expect((await kit.h.sweeper.runOnce()).expired).toBeGreaterThanOrEqual(1);
    const d = await eventually(async () => {
      const [x] = await deliveriesOf(made.body.id);
      return x?.status === "succeeded" ? x : null;
    }, 30_000);
    expect(d.payload).toMatchObject({
      type: "order.expired",
      data: { object: { id: order.id, state: "expired" } },
    });
    const [got] = rx.forEvent(d.eventId, "expired");
    expect(new Webhook(made.body.secret).verify(got!.body, got!.headers)).toMatchObject({
      type: "order.expired",
    });
  });

  it("lists deliveries by endpoint, event and status, in keyset pages", async () => {
    const all = (await kit.call("GET", `${DL}?limit=100`, key)).body.deliveries as any[];
    expect(all.length).toBeGreaterThanOrEqual(4);
    const ids = all.map((d) => Number(d.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await kit.call("GET", `${DL}?limit=2${cursor ? `&cursor=${cursor}` : ""}`, key);
      pages.push(...res.body.deliveries.map((d: any) => d.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(pages).toEqual(all.map((d) => d.id));
    const closed = (await kit.call("GET", `${DL}?event=order.closed`, key)).body.deliveries as any[];
    expect(closed.length).toBeGreaterThan(0);
    expect(closed.every((d) => d.eventType === "order.closed")).toBe(true);
    const ok = (await kit.call("GET", `${DL}?status=succeeded`, key)).body.deliveries as any[];
    expect(ok.every((d) => d.status === "succeeded")).toBe(true);
    expect((await kit.call("GET", `${DL}?status=failed`, key)).body.deliveries).toEqual([]);
  });

  it("a delivery whose job was lost is picked up again once it is overdue", async () => {
    const made = await create({ url: rx.urlFor("recovered"), events: ["order.paid"] });
    // A pending delivery with no job, due three minutes ago (as after a handler that kept failing).
    const [row] = await kit.h.ds.query(
      `INSERT INTO webhook_deliveries (merchant_id, endpoint_id, event_id, event_type, payload, next_attempt_at)
       VALUES ($1, $2, 'evt_lost', 'order.paid', '{"id":"evt_lost"}', now() - interval '3 minutes') RETURNING id::text AS id`,
      [A, made.body.id],
    );
    expect(await kit.h.webhooks.recover()).toBeGreaterThanOrEqual(1);
    const d = await eventually(async () => {
      const x = (await deliveriesOf(made.body.id)).find((y) => y.id === row.id);
      return x?.status === "succeeded" ? x : null;
    }, 30_000);
    expect(d.attemptCount).toBe(1);
    expect(rx.forEvent("evt_lost", "recovered")).toHaveLength(1);
  });

  it("another merchant's key finds none of it: 404, nothing changes", async () => {
    const made = await create({ url: rx.url, events: ["order.paid"] });
    const [d] = (await kit.call("GET", `${DL}?limit=1`, key)).body.deliveries;
    const bKey = (await kit.key(B, ["webhooks:write"])).key;
    const audits = await kit.auditCount();
    for (const [m, p, body] of [
      ["PATCH", `${EP}/${made.body.id}`, { description: "mine now" }],
      ["DELETE", `${EP}/${made.body.id}`, undefined],
      ["POST", `${EP}/${made.body.id}/rotate-secret`, undefined],
      ["POST", `${DL}/${d.id}/retry`, undefined],
    ] as const) {
      const res = await kit.call(m, p, bKey, body);
      expect([m, p, res.status, res.body.error.code]).toEqual([m, p, 404, "RESOURCE_NOT_FOUND"]);
    }
    expect((await kit.call("GET", EP, bKey)).body.endpoints).toEqual([]);
    expect((await kit.call("GET", DL, bKey)).body.deliveries).toEqual([]);
    expect(await kit.auditCount()).toBe(audits);
    expect((await kit.call("GET", EP, key)).body.endpoints.map((e: any) => e.id)).toContain(made.body.id);
  });

  it("an endpoint that has failed every delivery for the whole period is disabled and flagged", async () => {
    const down = await startReceiver([503]);
    try {
      const made = await create({ url: down.url, events: ["order.paid", "anomaly.flagged"] });
      // It has been failing for four days already (the period is three).
      await kit.h.ds.query(
        `UPDATE webhook_endpoints SET failing_since = now() - interval '4 days' WHERE id = $1`,
        [made.body.id],
      );
      await anomaly(kit.h, A);
      const off = await eventually(async () => {
        const e = (await kit.call("GET", EP, key)).body.endpoints.find((x: any) => x.id === made.body.id);
        return e && !e.enabled ? e : null;
      }, 30_000);
      expect(off.disabledReason).toMatch(/failed/);
      const flagged = await eventually(async () => {
        const list = (await kit.call("GET", `${ADMIN_PREFIX}/anomalies?kind=webhook_endpoint_disabled`, key))
          .body.anomalies as any[];
        return list.find((a) => a.facts.endpointId === made.body.id) ?? null;
      });
      expect(flagged).toMatchObject({ source: "webhook", orderId: null });
      // Its pending delivery stops: failed, after the one attempt that tipped it over.
      const d = await eventually(async () => {
        const [x] = await deliveriesOf(made.body.id);
        return x?.status === "failed" ? x : null;
      }, 30_000);
      expect(d.attemptCount).toBe(1);
      // Switching it on again starts afresh.
      const on = await kit.call("PATCH", `${EP}/${made.body.id}`, key, { enabled: true });
      expect(on.body).toMatchObject({ enabled: true, disabledReason: null });
    } finally {
      await down.close();
    }
  });
});

describe("webhook URLs without ALLOW_PRIVATE_WEBHOOKS", () => {
  let kit: AdminKit;
  let key: string;
  beforeAll(async () => {
    kit = await startAdmin({
      webhooks: {
        allowPrivate: false,
        resolver: async (host) => {
          const known: Record<string, string[]> = {
            "hooks.example.com": ["93.184.216.34"],
            "intranet.example.com": ["10.20.30.40"],
            "local.example.com": ["127.0.0.1"],
            "metadata.example.com": ["169.254.169.254"],
            "v6local.example.com": ["::1"],
          };
          if (!known[host]) throw new Error("ENOTFOUND");
          return known[host];
        },
      },
    });
    key = (await kit.key(A, ["webhooks:write"])).key;
  });
  afterAll(() => kit.close());

  it.each([
    ["http://hooks.example.com/x", "https only"],
    ["https://10.0.0.8/x", "private address"],
    ["https://127.0.0.1/x", "loopback address"],
    ["https://169.254.169.254/latest/meta-data", "link-local address"],
    ["https://[::1]/x", "loopback address"],
    ["https://intranet.example.com/x", "resolves to a private address"],
    ["https://local.example.com/x", "resolves to a loopback address"],
    ["https://metadata.example.com/x", "resolves to a link-local address"],
    ["https://v6local.example.com/x", "resolves to a loopback address"],
    ["https://nowhere.example.com/x", "does not resolve"],
  ])("%s → 400 WEBHOOK_URL_REFUSED (%s)", async (url, reason) => {
    const before = await kit.auditCount(A);
    const res = await kit.call("POST", EP, key, { url, events: ["order.paid"] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "WEBHOOK_URL_REFUSED", details: { field: "url", reason } });
    expect(await kit.auditCount(A)).toBe(before);
  });

  it("a public https URL is accepted, and a PATCH to a private one is refused", async () => {
    const made = await kit.call("POST", EP, key, {
      url: "https://hooks.example.com/minipay",
      events: ["order.paid"],
    });
    expect(made.status).toBe(201);
    const moved = await kit.call("PATCH", `${EP}/${made.body.id}`, key, {
      url: "https://intranet.example.com/x",
    });
    expect([moved.status, moved.body.error.code]).toEqual([400, "WEBHOOK_URL_REFUSED"]);
  });
});
