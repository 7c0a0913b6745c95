/** GET /openapi.json: OpenAPI 3.1 for every admin route, generated from the shared zod schemas. */
import { ADMIN_PREFIX } from "@minipay/shared";
import { ADMIN_ROUTES } from "../../src/http/routes/admin";
import { startAdmin, type AdminKit } from "./admin-kit";

let kit: AdminKit;
let doc: any;
beforeAll(async () => {
  kit = await startAdmin();
  const res = await kit.call("GET", "/openapi.json", null);
  expect(res.status).toBe(200);
  doc = res.body;
});
afterAll(() => kit.close());

const op = (method: string, path: string) => doc.paths[ADMIN_PREFIX + path][method.toLowerCase()];

describe("openapi.json", () => {
  it("is OpenAPI 3.1 with bearer keys", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("describes every admin route with its scope", () => {
    for (const r of ADMIN_ROUTES) {
      const o = op(r.method, r.path.replace(/:(\w+)/g, "{$1}"));
      expect([r.method, r.path, o?.["x-required-scope"]]).toEqual([r.method, r.path, r.scope]);
      expect(o.responses["4XX"]).toBeDefined();
    }
    const ids = ADMIN_ROUTES.map((r) => op(r.method, r.path.replace(/:(\w+)/g, "{$1}")).operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("query parameters, bodies and answers come from the zod schemas", () => {
    const list = op("GET", "/orders");
    const params = Object.fromEntries(list.parameters.map((p: any) => [p.name, p]));
    expect(Object.keys(params)).toEqual(
      expect.arrayContaining([
        "state",
        "createdFrom",
        "paidTo",
        "minFen",
        "outTradeNo",
        "userId",
        "limit",
        "cursor",
      ]),
    );
    expect(params.limit.required).toBe(false);
    expect(JSON.stringify(params.limit.schema)).toContain('"maximum":100');
    expect(JSON.stringify(params.state.schema)).toContain("partially_refunded");
    const report = Object.fromEntries(
      op("GET", "/reports/daily").parameters.map((p: any) => [p.name, p.required]),
    );
    expect(report).toEqual({ from: true, to: true });
    const create = op("POST", "/products").requestBody.content["application/json"].schema;
    expect(create.required).toEqual(expect.arrayContaining(["name", "priceFen", "stock"]));
    const detail = op("GET", "/orders/{id}").responses["200"].content["application/json"].schema;
    expect(Object.keys(detail.properties)).toEqual(
      expect.arrayContaining(["items", "events", "attempts", "tradeNumbers", "anomalies"]),
    );
    expect(op("GET", "/orders.csv").responses["200"].content["text/csv"]).toBeDefined();
    expect(op("DELETE", "/keys/{id}").responses["204"]).toBeDefined();
  });
});
