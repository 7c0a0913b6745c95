/** /admin/v1: the merchant's own API (scoped keys). Thin routes: key and scope, parse, one service call. */
import Router from "@koa/router";
import {
  ADMIN_PREFIX,
  AdminOrderQuery,
  AnomalyQuery,
  DailyReportQuery,
  OrderFilterQuery,
  AuditQuery,
  CreateApiKeyRequest,
  CreateProductRequest,
  ProductId,
  ResolveAnomalyRequest,
  StockAdjustRequest,
  UpdateProductRequest,
} from "@minipay/shared";
import type { AnomalyService } from "../../services/admin/anomalies";
import type { AuditLogService } from "../../services/admin/audit-log";
import { orderFilter, type AdminOrderService } from "../../services/admin/orders";
import type { OrderExport } from "../../services/admin/orders-csv";
import type { AdminProductService } from "../../services/admin/products";
import type { ReportService } from "../../services/admin/reports";
import type { ReconciliationService } from "../../services/reconciliation";
import { reconciliationRoutes } from "./admin-reconciliations";
import type { WebhookAdminService } from "../../services/admin/webhooks";
import { AppError } from "../../domain/errors";
import { jsonBody } from "../middleware/body";
import {
  actorOf,
  apiKeyOf,
  keyMerchant,
  requireMerchantKey,
  type MerchantKeyDeps,
} from "../middleware/merchant-key";
import { parse } from "../validate";
import type { RefundService } from "../../services/refunds";
import { ADMIN_REFUND_ROUTES, mountRefundRoutes } from "./admin-refunds";
import { mountWebhookRoutes, WEBHOOK_ROUTES } from "./admin-webhooks";

export interface AdminDeps extends MerchantKeyDeps {
  audit: AuditLogService;
  products: AdminProductService;
  anomalies: AnomalyService;
  orders: AdminOrderService;
  reports: ReportService;
  exports: OrderExport;
  refunds: RefundService;
  reconciliations: ReconciliationService;
  webhooks: WebhookAdminService;
  bodyLimit: number;
}

/** Every route with the scope it needs (the scope-matrix test walks this list). */
export const ADMIN_ROUTES = [
  { method: "GET", path: "/keys", scope: "keys:write" },
  { method: "POST", path: "/keys", scope: "keys:write" },
  { method: "DELETE", path: "/keys/:id", scope: "keys:write" },
  { method: "GET", path: "/audit", scope: "audit:read" },
  { method: "GET", path: "/products", scope: "products:read" },
  { method: "POST", path: "/products", scope: "products:write" },
  { method: "PATCH", path: "/products/:id", scope: "products:write" },
  { method: "POST", path: "/products/:id/stock", scope: "products:write" },
  { method: "GET", path: "/anomalies", scope: "orders:read" },
  { method: "POST", path: "/anomalies/:id/resolve", scope: "orders:write" },
  { method: "GET", path: "/orders", scope: "orders:read" },
  { method: "GET", path: "/orders.csv", scope: "orders:read" },
  { method: "GET", path: "/orders/:id", scope: "orders:read" },
  { method: "POST", path: "/orders/:id/close", scope: "orders:write" },
  { method: "POST", path: "/orders/:id/sync", scope: "orders:write" },
  { method: "GET", path: "/reports/daily", scope: "reports:read" },
  ...ADMIN_REFUND_ROUTES,
  { method: "POST", path: "/reconciliations", scope: "reports:read" },
  { method: "GET", path: "/reconciliations", scope: "reports:read" },
  { method: "GET", path: "/reconciliations/:id", scope: "reports:read" },
  ...WEBHOOK_ROUTES,
] as const;

/** A product id from the path; anything that could not be one is simply not found. */
const productIdIn = (id: string): string => {
  if (!ProductId.safeParse(id).success)
    throw new AppError("RESOURCE_NOT_FOUND", undefined, { type: "product", id });
  return id;
};

export function adminRouter(d: AdminDeps): Router {
  const r = new Router({ prefix: ADMIN_PREFIX });
  const need = (scope: Parameters<typeof requireMerchantKey>[0]) => requireMerchantKey(scope, d);
  r.use(jsonBody(d.bodyLimit));

  r.get("/keys", need("keys:write"), async (ctx) => {
    ctx.body = { keys: await d.keys.list(keyMerchant(ctx).id) };
  });
  r.post("/keys", need("keys:write"), async (ctx) => {
    const body = parse(CreateApiKeyRequest, ctx.state.body);
    ctx.body = await d.keys.create(keyMerchant(ctx).id, body, actorOf(ctx), apiKeyOf(ctx).scopes);
    ctx.status = 201;
  });
  r.delete("/keys/:id", need("keys:write"), async (ctx) => {
    await d.keys.revoke(keyMerchant(ctx).id, ctx.params.id!, actorOf(ctx));
    ctx.status = 204;
  });

  r.get("/audit", need("audit:read"), async (ctx) => {
    const q = parse(AuditQuery, ctx.query);
    ctx.body = await d.audit.list(keyMerchant(ctx).id, q.limit, q.cursor);
  });

  r.get("/products", need("products:read"), async (ctx) => {
    ctx.body = { products: await d.products.list(keyMerchant(ctx).id) };
  });
  r.post("/products", need("products:write"), async (ctx) => {
    const body = parse(CreateProductRequest, ctx.state.body);
    ctx.body = await d.products.create(keyMerchant(ctx).id, body, actorOf(ctx));
    ctx.status = 201;
  });
  r.patch("/products/:id", need("products:write"), async (ctx) => {
    const id = productIdIn(ctx.params.id!);
    const body = parse(UpdateProductRequest, ctx.state.body);
    ctx.body = await d.products.update(keyMerchant(ctx).id, id, body, actorOf(ctx));
  });
  r.post("/products/:id/stock", need("products:write"), async (ctx) => {
    const id = productIdIn(ctx.params.id!);
    const body = parse(StockAdjustRequest, ctx.state.body);
    ctx.body = await d.products.adjustStock(keyMerchant(ctx).id, id, body, actorOf(ctx));
  });

  r.get("/anomalies", need("orders:read"), async (ctx) => {
    const q = parse(AnomalyQuery, ctx.query);
    const filter = {
      kind: q.kind,
      resolved: q.resolved === undefined ? undefined : q.resolved === "true",
    };
    ctx.body = await d.anomalies.list(keyMerchant(ctx).id, { filter, limit: q.limit, cursor: q.cursor });
  });
  r.post("/anomalies/:id/resolve", need("orders:write"), async (ctx) => {
    const body = parse(ResolveAnomalyRequest, ctx.state.body);
    ctx.body = await d.anomalies.resolve(keyMerchant(ctx).id, ctx.params.id!, body.note, actorOf(ctx));
  });

  r.get("/orders", need("orders:read"), async (ctx) => {
    const q = parse(AdminOrderQuery, ctx.query);
    ctx.body = await d.orders.list(keyMerchant(ctx).id, {
      filter: orderFilter(q),
      limit: q.limit,
      cursor: q.cursor,
    });
  });
  r.get("/orders.csv", need("orders:read"), async (ctx) => {
    const q = parse(OrderFilterQuery, ctx.query);
    ctx.set("Content-Disposition", 'attachment; filename="orders.csv"');
    ctx.set("Cache-Control", "no-store");
    ctx.type = "text/csv; charset=utf-8";
    ctx.body = d.exports.csv(keyMerchant(ctx).id, orderFilter(q));
  });
  r.get("/orders/:id", need("orders:read"), async (ctx) => {
    ctx.body = await d.orders.detail(keyMerchant(ctx).id, ctx.params.id!);
  });
  r.post("/orders/:id/close", need("orders:write"), async (ctx) => {
    ctx.body = await d.orders.close(keyMerchant(ctx), ctx.params.id!, actorOf(ctx));
  });
  r.post("/orders/:id/sync", need("orders:write"), async (ctx) => {
    ctx.body = await d.orders.sync(keyMerchant(ctx), ctx.params.id!, actorOf(ctx));
  });

  r.get("/reports/daily", need("reports:read"), async (ctx) => {
    const q = parse(DailyReportQuery, ctx.query);
    ctx.body = await d.reports.daily(keyMerchant(ctx).id, q.from, q.to);
  });
  mountRefundRoutes(r, d);
  reconciliationRoutes(r, need, () => d.reconciliations);
  mountWebhookRoutes(r, need("webhooks:write"), d.webhooks);
  return r;
}
