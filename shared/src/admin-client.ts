/**
 * Typed client for the merchant admin API (/admin/v1), on the zod schemas of ./admin: every answer
 * is parsed, every error is an AdminApiError with the stable code and, for a 403, the scope the key
 * lacks. The network is injected (AdminHttp), so a browser (fetch) or Node test can drive it.
 * Writes are never resent automatically: a close or a stock adjustment must not happen twice.
 */
import type { z } from "zod";
import {
  ADMIN_PREFIX,
  AdminMe,
  AdminOrderDetail,
  AdminOrderPage,
  AdminProduct,
  AdminProductList,
  AdminRefund,
  AdminScope,
  Anomaly,
  AnomalyPage,
  ApiKeyCreated,
  ApiKeyList,
  AuditPage,
  DailyReport,
  RefundPage,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookEndpoint,
  WebhookEndpointCreated,
  WebhookEndpointList,
  WebhookSecretRotated,
  type CreateApiKeyRequest,
  type CreateProductRequest,
  type CreateRefundRequest,
  type CreateWebhookEndpointRequest,
  type UpdateWebhookEndpointRequest,
  type WebhookEventType,
  type StockAdjustRequest,
  type UpdateProductRequest,
} from "./admin";
import { ErrorBody, type RefundState } from "./api";
import { ReconciliationDetail, ReconciliationPage } from "./reconciliation";
import type { OrderState } from "./order-states";
import { ApiError } from "./client";

export type AdminMethod = "GET" | "POST" | "PATCH" | "DELETE";
export interface AdminHttpRequest {
  method: AdminMethod;
  url: string;
  headers: Record<string, string>;
  body?: string;
}
/** `data`: parsed JSON when the answer is JSON, its text otherwise (the CSV export), null when empty. */
export type AdminHttp = (req: AdminHttpRequest) => Promise<{ status: number; data: unknown }>;

export class AdminApiError extends ApiError {
  constructor(
    code: string,
    status: number,
    message?: string,
    /** On a 403 FORBIDDEN: the scope the route needs and the key does not have. */
    readonly requiredScope: AdminScope | null = null,
  ) {
    super(code, status, message);
    this.name = "AdminApiError";
  }
}

/** The filters of GET /admin/v1/orders and /orders.csv, as a client sends them. */
export interface AdminOrderFilter {
  state?: OrderState[];
  createdFrom?: string;
  createdTo?: string;
  paidFrom?: string;
  paidTo?: string;
  minFen?: number;
  maxFen?: number;
  outTradeNo?: string;
  transactionId?: string;
  userId?: string;
}

type QueryValue = string | number | boolean | string[] | undefined | null;

/** A query string: empty values left out, arrays repeated (`state=a&state=b`). */
export function adminQuery(q: Record<string, QueryValue>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === "") continue;
    for (const one of Array.isArray(v) ? v : [v]) p.append(k, String(one));
  }
  const s = p.toString();
  return s ? `?${s}` : "";
}

export interface AdminClientDeps {
  http: AdminHttp;
  /** Origin of the backend ("" in a browser on the same origin). */
  baseUrl: string;
  key(): string | null;
}

export function createAdminApi(d: AdminClientDeps) {
  async function send(method: AdminMethod, path: string, body?: unknown, extra: Record<string, string> = {}) {
    const headers: Record<string, string> = { ...extra };
    const k = d.key();
    if (k) headers.authorization = `Bearer ${k}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let res;
    try {
      res = await d.http({
        method,
        url: `${d.baseUrl}${ADMIN_PREFIX}${path}`,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new AdminApiError("NETWORK", 0);
    }
    if (res.status >= 200 && res.status < 300) return res.data;
    const err = ErrorBody.safeParse(res.data);
    if (!err.success) throw new AdminApiError("BAD_RESPONSE", res.status);
    const details = err.data.error.details as { requiredScope?: unknown } | undefined;
    const scope = AdminScope.safeParse(details?.requiredScope);
    throw new AdminApiError(
      err.data.error.code,
      res.status,
      err.data.error.message,
      scope.success ? scope.data : null,
    );
  }

  async function call<S extends z.ZodType>(
    schema: S,
    method: AdminMethod,
    path: string,
    body?: unknown,
    extra?: Record<string, string>,
  ): Promise<z.infer<S>> {
    const data = await send(method, path, body, extra);
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw new AdminApiError("BAD_RESPONSE", 200);
    return parsed.data;
  }

  const id = encodeURIComponent;
  return {
    me: () => call(AdminMe, "GET", "/me"),

    orders: (filter: AdminOrderFilter, page: { limit?: number; cursor?: string | null } = {}) =>
      call(
        AdminOrderPage,
        "GET",
        `/orders${adminQuery({ ...filter, limit: page.limit, cursor: page.cursor })}`,
      ),
    /** The CSV export of `filter`, as text (UTF-8 with BOM). */
    ordersCsv: async (filter: AdminOrderFilter): Promise<string> => {
      const data = await send("GET", `/orders.csv${adminQuery({ ...filter })}`);
      if (typeof data !== "string") throw new AdminApiError("BAD_RESPONSE", 200);
      return data;
    },
    order: (orderId: string) => call(AdminOrderDetail, "GET", `/orders/${id(orderId)}`),
    closeOrder: (orderId: string) => call(AdminOrderDetail, "POST", `/orders/${id(orderId)}/close`),
    syncOrder: (orderId: string) => call(AdminOrderDetail, "POST", `/orders/${id(orderId)}/sync`),

    dailyReport: (from: string, to: string) =>
      call(DailyReport, "GET", `/reports/daily${adminQuery({ from, to })}`),

    products: () => call(AdminProductList, "GET", "/products"),
    createProduct: (req: CreateProductRequest) => call(AdminProduct, "POST", "/products", req),
    updateProduct: (productId: string, req: UpdateProductRequest) =>
      call(AdminProduct, "PATCH", `/products/${id(productId)}`, req),
    adjustStock: (productId: string, req: StockAdjustRequest) =>
      call(AdminProduct, "POST", `/products/${id(productId)}/stock`, req),

    anomalies: (q: { resolved?: boolean; kind?: string; cursor?: string | null; limit?: number } = {}) =>
      call(
        AnomalyPage,
        "GET",
        `/anomalies${adminQuery({
          kind: q.kind,
          resolved: q.resolved === undefined ? undefined : String(q.resolved),
          cursor: q.cursor,
          limit: q.limit,
        })}`,
      ),
    resolveAnomaly: (anomalyId: string, note: string) =>
      call(Anomaly, "POST", `/anomalies/${id(anomalyId)}/resolve`, { note }),

    keys: () => call(ApiKeyList, "GET", "/keys"),
    createKey: (req: CreateApiKeyRequest) => call(ApiKeyCreated, "POST", "/keys", req),
    revokeKey: async (keyId: string): Promise<void> => {
      await send("DELETE", `/keys/${id(keyId)}`);
    },

    audit: (cursor?: string | null) => call(AuditPage, "GET", `/audit${adminQuery({ cursor })}`),

    /** Moves money: the caller keeps `idempotencyKey` for the submission, so a resend after a lost
     * answer is recognised by the server and cannot refund twice (README "Refunds"). */
    createRefund: (orderId: string, req: CreateRefundRequest, idempotencyKey: string) =>
      call(AdminRefund, "POST", `/orders/${id(orderId)}/refunds`, req, {
        "idempotency-key": idempotencyKey,
      }),
    refunds: (q: { state?: RefundState[]; orderId?: string; cursor?: string | null; limit?: number } = {}) =>
      call(
        RefundPage,
        "GET",
        `/refunds${adminQuery({ state: q.state, orderId: q.orderId, cursor: q.cursor, limit: q.limit })}`,
      ),
    refund: (refundId: string) => call(AdminRefund, "GET", `/refunds/${id(refundId)}`),

    webhookEndpoints: () => call(WebhookEndpointList, "GET", "/webhook-endpoints"),
    createWebhookEndpoint: (req: CreateWebhookEndpointRequest) =>
      call(WebhookEndpointCreated, "POST", "/webhook-endpoints", req),
    updateWebhookEndpoint: (endpointId: string, req: UpdateWebhookEndpointRequest) =>
      call(WebhookEndpoint, "PATCH", `/webhook-endpoints/${id(endpointId)}`, req),
    deleteWebhookEndpoint: async (endpointId: string): Promise<void> => {
      await send("DELETE", `/webhook-endpoints/${id(endpointId)}`);
    },
    rotateWebhookSecret: (endpointId: string) =>
      call(WebhookSecretRotated, "POST", `/webhook-endpoints/${id(endpointId)}/rotate-secret`),
    webhookDeliveries: (
      q: {
        endpoint?: string;
        event?: WebhookEventType;
        status?: WebhookDelivery["status"];
        cursor?: string | null;
        limit?: number;
      } = {},
    ) => call(WebhookDeliveryPage, "GET", `/webhook-deliveries${adminQuery({ ...q })}`),
    retryWebhookDelivery: (deliveryId: string) =>
      call(WebhookDelivery, "POST", `/webhook-deliveries/${id(deliveryId)}/retry`),

    reconciliations: (cursor?: string | null, limit?: number) =>
      call(ReconciliationPage, "GET", `/reconciliations${adminQuery({ cursor, limit })}`),
    runReconciliation: (date: string) => call(ReconciliationDetail, "POST", "/reconciliations", { date }),
    reconciliation: (runId: string) => call(ReconciliationDetail, "GET", `/reconciliations/${id(runId)}`),
  };
}
export type AdminApi = ReturnType<typeof createAdminApi>;
