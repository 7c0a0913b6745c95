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
