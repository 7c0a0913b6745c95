/**
 * GET /openapi.json: an OpenAPI 3.1 description of the admin API, generated from the same zod
 * schemas that validate requests (shared/src/admin.ts), with zod 4's z.toJSONSchema. Each route of
 * ADMIN_ROUTES is described, with the scope it needs (`x-required-scope`), and so is each route of
 * MERCHANT_ROUTES (/merchant/v1, payment-centre mode; schemas in shared/src/merchant.ts).
 */
import Router from "@koa/router";
import {
  ADMIN_PREFIX,
  AdminOrderDetail,
  AdminOrderPage,
  AdminOrderQuery,
  AdminProduct,
  AdminProductList,
  Anomaly,
  AnomalyPage,
  AnomalyQuery,
  ApiKeyCreated,
  ApiKeyList,
  AuditPage,
  CreateMerchantOrderRequest,
  MERCHANT_PREFIX,
  MerchantOrder,
  MerchantRefund,
  CreateMerchantRefundRequest,
  AuditQuery,
  CreateApiKeyRequest,
  CreateProductRequest,
  AdminRefund,
  CreateRefundRequest,
  RefundPage,
  RefundQuery,
  DailyReport,
  DailyReportQuery,
  ErrorBody,
  OrderFilterQuery,
  ResolveAnomalyRequest,
  StockAdjustRequest,
  UpdateProductRequest,
  CreateReconciliationRequest,
  ReconciliationDetail,
  ReconciliationPage,
  ReconciliationQuery,
  CreateWebhookEndpointRequest,
  UpdateWebhookEndpointRequest,
  WebhookDelivery,
  OrderNotifySecret,
  WebhookDeliveryPage,
  WebhookDeliveryQuery,
  WebhookEndpoint,
  WebhookEndpointCreated,
  WebhookEndpointList,
  WebhookSecretRotated,
} from "@minipay/shared";
import { z } from "zod";
import { ADMIN_ROUTES } from "./admin";
import { MERCHANT_ROUTES } from "./merchant";

type Route = (typeof ADMIN_ROUTES)[number];
type Io = {
  query?: z.ZodObject;
  body?: z.ZodType;
  ok?: z.ZodType;
  status?: number;
  csv?: boolean;
  /** Takes a required Idempotency-Key header. */
  idempotent?: boolean;
};

/** What each admin route takes and answers. */
const IO: { [R in Route as `${R["method"]} ${R["path"]}`]: Io } = {
  "GET /keys": { ok: ApiKeyList },
  "POST /keys": { body: CreateApiKeyRequest, ok: ApiKeyCreated, status: 201 },
  "DELETE /keys/:id": { status: 204 },
  "GET /audit": { query: AuditQuery, ok: AuditPage },
  "GET /products": { ok: AdminProductList },
  "POST /products": { body: CreateProductRequest, ok: AdminProduct, status: 201 },
  "PATCH /products/:id": { body: UpdateProductRequest, ok: AdminProduct },
  "POST /products/:id/stock": { body: StockAdjustRequest, ok: AdminProduct },
  "GET /anomalies": { query: AnomalyQuery, ok: AnomalyPage },
  "POST /anomalies/:id/resolve": { body: ResolveAnomalyRequest, ok: Anomaly },
  "GET /orders": { query: AdminOrderQuery, ok: AdminOrderPage },
  "GET /orders.csv": { query: OrderFilterQuery, csv: true },
  "GET /orders/:id": { ok: AdminOrderDetail },
  "POST /orders/:id/close": { ok: AdminOrderDetail },
  "POST /orders/:id/sync": { ok: AdminOrderDetail },
  "GET /reports/daily": { query: DailyReportQuery as unknown as z.ZodObject, ok: DailyReport },
  "POST /orders/:id/refunds": { body: CreateRefundRequest, ok: AdminRefund, status: 201, idempotent: true },
  "GET /refunds": { query: RefundQuery, ok: RefundPage },
  "GET /refunds/:id": { ok: AdminRefund },
  "POST /reconciliations": { body: CreateReconciliationRequest, ok: ReconciliationDetail, status: 201 },
  "GET /reconciliations": { query: ReconciliationQuery, ok: ReconciliationPage },
  "GET /reconciliations/:id": { ok: ReconciliationDetail },
  "GET /webhook-endpoints": { ok: WebhookEndpointList },
  "POST /webhook-endpoints": { body: CreateWebhookEndpointRequest, ok: WebhookEndpointCreated, status: 201 },
  "PATCH /webhook-endpoints/:id": { body: UpdateWebhookEndpointRequest, ok: WebhookEndpoint },
  "DELETE /webhook-endpoints/:id": { status: 204 },
  "POST /webhook-endpoints/:id/rotate-secret": { ok: WebhookSecretRotated },
  "GET /webhook-deliveries": { query: WebhookDeliveryQuery, ok: WebhookDeliveryPage },
  "POST /webhook-deliveries/:id/retry": { ok: WebhookDelivery },
  "POST /order-notify-secret": { ok: OrderNotifySecret },
};

type MerchantRoute = (typeof MERCHANT_ROUTES)[number];
/** What each /merchant/v1 route takes and answers (payment-centre mode). */
const MERCHANT_IO: { [R in MerchantRoute as `${R["method"]} ${R["path"]}`]: Io & { idempotent?: boolean } } =
  {
    "POST /orders": { body: CreateMerchantOrderRequest, ok: MerchantOrder, status: 201, idempotent: true },
    "GET /orders/:merchantOrderNo": { ok: MerchantOrder },
    "POST /orders/:merchantOrderNo/close": { ok: MerchantOrder },
    "POST /orders/:merchantOrderNo/refunds": {
      body: CreateMerchantRefundRequest,
      ok: MerchantRefund,
      status: 201,
      idempotent: true,
    },
  };

const schema = (s: z.ZodType, io: "input" | "output") => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return rest;
};

/** The query schema's fields; a refined object (the report's) is described by its inner shape. */
function queryParameters(q: z.ZodObject) {
  const shape = (q as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {};
  return Object.entries(shape).map(([name, s]) => ({
    name,
    in: "query",
    required: !s.safeParse(undefined).success,
    ...(name === "state" ? { explode: true } : {}),
    schema: schema(s, "input"),
  }));
}

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const errorResponse = {
    description: "an error with a stable code",
    content: { "application/json": { schema: schema(ErrorBody, "output") } },
  };
  for (const r of ADMIN_ROUTES) {
    const io: Io = IO[`${r.method} ${r.path}` as keyof typeof IO];
    const path = ADMIN_PREFIX + r.path.replace(/:(\w+)/g, "{$1}");
    const params = [
      ...(r.path.includes(":id")
        ? [{ name: "id", in: "path", required: true, schema: { type: "string" } }]
        : []),
      ...(io.query ? queryParameters(io.query) : []),
      ...(io.idempotent
        ? [
            {
              name: "Idempotency-Key",
              in: "header",
              required: true,
              schema: { type: "string", pattern: "^[A-Za-z0-9_.:-]{8,128}$" },
            },
          ]
        : []),
    ];
    const status = String(io.status ?? 200);
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = {
      operationId: `${r.method.toLowerCase()}${r.path.replace(/[/:.](\w)/g, (_m, c: string) => c.toUpperCase())}`,
      "x-required-scope": r.scope,
      security: [{ apiKey: [] }],
      ...(params.length ? { parameters: params } : {}),
      ...(io.body
        ? {
            requestBody: {
              required: true,
              content: { "application/json": { schema: schema(io.body, "input") } },
            },
          }
        : {}),
      responses: {
        [status]: io.csv
          ? { description: "CSV (UTF-8 with BOM)", content: { "text/csv": { schema: { type: "string" } } } }
          : io.ok
            ? { description: "OK", content: { "application/json": { schema: schema(io.ok, "output") } } }
            : { description: "No content" },
        "4XX": errorResponse,
        "5XX": errorResponse,
      },
    };
  }
  for (const r of MERCHANT_ROUTES) {
    const io = MERCHANT_IO[`${r.method} ${r.path}` as keyof typeof MERCHANT_IO];
    const path = MERCHANT_PREFIX + r.path.replace(/:(\w+)/g, "{$1}");
    const params = [
      ...(r.path.includes(":merchantOrderNo")
        ? [{ name: "merchantOrderNo", in: "path", required: true, schema: { type: "string" } }]
        : []),
      ...(io.idempotent
        ? [{ name: "Idempotency-Key", in: "header", required: true, schema: { type: "string" } }]
        : []),
    ];
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = {
      operationId: `merchant${r.method[0]}${r.method.slice(1).toLowerCase()}${r.path.replace(/[/:.](\w)/g, (_m, c: string) => c.toUpperCase())}`,
      "x-required-scope": r.scope,
      security: [{ apiKey: [] }],
      ...(params.length ? { parameters: params } : {}),
      ...(io.body
        ? {
            requestBody: {
              required: true,
              content: { "application/json": { schema: schema(io.body, "input") } },
            },
          }
        : {}),
      responses: {
        [String(io.status ?? 200)]: {
          description: io.idempotent ? "Created" : "OK",
          content: { "application/json": { schema: schema(io.ok!, "output") } },
        },
        ...(io.idempotent
          ? {
              "200": {
                description: "The same merchantOrderNo and body again: the existing order",
                content: { "application/json": { schema: schema(io.ok!, "output") } },
              },
            }
          : {}),
        "4XX": errorResponse,
        "5XX": errorResponse,
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Minipay admin and merchant API", version: "1" },
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "an admin API key, mk_…" } },
    },
    paths,
  };
}

export function openApiRouter(): Router {
  const r = new Router();
  let doc: Record<string, unknown> | null = null;
  r.get("/openapi.json", (ctx) => {
    doc ??= openApiDocument();
    ctx.body = doc;
  });
  return r;
}
