/** /openapi.json describes /merchant/v1 from the same zod schemas that validate its requests. */
import { openApiDocument } from "../../src/http/routes/openapi";
import { MERCHANT_ROUTES } from "../../src/http/routes/merchant";

const doc = openApiDocument() as { paths: Record<string, Record<string, any>> };

describe("OpenAPI: /merchant/v1", () => {
  it("has every merchant route with its scope", () => {
    for (const r of MERCHANT_ROUTES) {
      const path = "/merchant/v1" + r.path.replace(/:(\w+)/g, "{$1}");
      const op = doc.paths[path]?.[r.method.toLowerCase()];
      expect(op).toBeDefined();
      expect(op["x-required-scope"]).toBe(r.scope);
    }
    const ids = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o: any) => o.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("create: the body schema, the required Idempotency-Key, 201 and 200 answers", () => {
    const create = doc.paths["/merchant/v1/orders"]!.post;
    const body = create.requestBody.content["application/json"].schema;
    expect(body.required).toEqual(
      expect.arrayContaining(["merchantOrderNo", "amountFen", "description", "method"]),
    );
    expect(body.properties.method.enum).toEqual(["jsapi", "native", "h5page"]);
    expect(body.properties.amountFen.maximum).toBe(10_000_000);
    expect(body.additionalProperties).toBe(false);
    expect(create.parameters).toEqual([
      expect.objectContaining({ name: "Idempotency-Key", in: "header", required: true }),
    ]);
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(["201", "200", "4XX"]));
    const answer = create.responses["201"].content["application/json"].schema;
    expect(Object.keys(answer.properties)).toEqual(
      expect.arrayContaining(["merchantOrderNo", "state", "amountFen", "checkoutUrl", "payment"]),
    );
  });
});
