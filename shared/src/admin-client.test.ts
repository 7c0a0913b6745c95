import { AdminApiError, adminQuery, createAdminApi, type AdminHttpRequest } from "./admin-client";

function clientAnswering(status: number, data: unknown) {
  const seen: AdminHttpRequest[] = [];
  const api = createAdminApi({
    baseUrl: "http://h",
    key: () => "mk_test",
    http: async (req) => {
      seen.push(req);
      return { status, data };
    },
  });
  return { api, seen };
}

describe("admin client", () => {
  it("builds query strings: empty values left out, states repeated", () => {
    expect(adminQuery({ state: ["paid", "closed"], minFen: 0, outTradeNo: "", cursor: null })).toBe(
      "?state=paid&state=closed&minFen=0",
    );
    expect(adminQuery({})).toBe("");
  });

  it("sends the key as a bearer token, never in the URL", async () => {
    const { api, seen } = clientAnswering(200, { orders: [], nextCursor: null });
    await api.orders({ state: ["paid"] }, { limit: 50 });
    expect(seen[0]).toMatchObject({
      method: "GET",
      url: "http://h/admin/v1/orders?state=paid&limit=50",
      headers: { authorization: "Bearer mk_test" },
    });
    expect(seen[0]!.url).not.toContain("mk_test");
  });

  it("turns a 403 into an error naming the missing scope", async () => {
    const { api } = clientAnswering(403, {
      error: { code: "FORBIDDEN", message: "Not allowed", details: { requiredScope: "products:write" } },
    });
    const err = await api
      .createProduct({ name: "x", priceFen: 1, stock: 1, description: "", active: true })
      .catch((e) => e);
    expect(err).toBeInstanceOf(AdminApiError);
    expect([err.code, err.status, err.requiredScope]).toEqual(["FORBIDDEN", 403, "products:write"]);
  });

  it("refuses an answer that does not match the contract, and reports a dead network", async () => {
    const bad = await clientAnswering(200, { nope: true })
      .api.me()
      .catch((e) => e);
    expect([bad.code, bad.requiredScope]).toEqual(["BAD_RESPONSE", null]);
    const dead = createAdminApi({
      baseUrl: "",
      key: () => null,
      http: () => Promise.reject(new Error("down")),
    });
    expect((await dead.keys().catch((e) => e)).code).toBe("NETWORK");
  });
});

describe("admin client: refunds, webhooks, reconciliation", () => {
  const refund = {
    id: "r1",
    orderId: "o1",
    outTradeNo: "T1",
    outRefundNo: "RF1",
    refundId: null,
    amountFen: 100,
    reason: null,
    state: "pending",
    lastError: null,
    createdAt: "2026-11-26T00:00:00.000Z",
    updatedAt: "2026-11-26T00:00:00.000Z",
    succeededAt: null,
  };

  it("sends a refund with the Idempotency-Key it is given, the key only in the header", async () => {
    const { api, seen } = clientAnswering(201, refund);
    const r = await api.createRefund("o1", { amountFen: 100, reason: "damaged" }, "console-abcdefgh");
    expect(r.state).toBe("pending");
    expect(seen[0]).toMatchObject({
      method: "POST",
      url: "http://h/admin/v1/orders/o1/refunds",
      headers: { authorization: "Bearer mk_test", "idempotency-key": "console-abcdefgh" },
    });
    expect(JSON.parse(seen[0]!.body!)).toEqual({ amountFen: 100, reason: "damaged" });
  });

  it("builds the list queries of refunds, deliveries and reconciliation runs", async () => {
    const refunds = clientAnswering(200, { refunds: [refund], nextCursor: null });
    await refunds.api.refunds({ state: ["failed", "closed"], cursor: "c1" });
    expect(refunds.seen[0]!.url).toBe("http://h/admin/v1/refunds?state=failed&state=closed&cursor=c1");
    const deliveries = clientAnswering(200, { deliveries: [], nextCursor: null });
    await deliveries.api.webhookDeliveries({ status: "failed", event: "order.paid", limit: 100 });
    expect(deliveries.seen[0]!.url).toBe(
      "http://h/admin/v1/webhook-deliveries?status=failed&event=order.paid&limit=100",
    );
    const runs = clientAnswering(200, { runs: [], nextCursor: null });
    await runs.api.reconciliations();
    expect(runs.seen[0]!.url).toBe("http://h/admin/v1/reconciliations");
  });

  it("refuses a created webhook endpoint whose secret is not a whsec_ secret", async () => {
    const endpoint = {
      id: "e1",
      url: "https://example.com/hook",
      events: ["order.paid"],
      description: "",
      enabled: true,
      disabledReason: null,
      previousSecretExpiresAt: null,
      createdAt: "2026-11-26T00:00:00.000Z",
      updatedAt: "2026-11-26T00:00:00.000Z",
    };
    const ok = clientAnswering(201, { ...endpoint, secret: "whsec_AAAA" });
    expect(
      (await ok.api.createWebhookEndpoint({ url: endpoint.url, events: ["order.paid"], description: "" }))
        .secret,
    ).toBe("whsec_AAAA");
    const bad = clientAnswering(201, { ...endpoint, secret: "plain" });
    const err = await bad.api.rotateWebhookSecret("e1").catch((e) => e);
    expect(err.code).toBe("BAD_RESPONSE");
  });
});
