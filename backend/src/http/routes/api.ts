/** /api/v1: thin routes: parse with the shared schema, call one service, shape the answer. */
import Router from "@koa/router";
import {
  API_PREFIX,
  CreateOrderRequest,
  CreatePaymentRequest,
  OrderListQuery,
  SessionRequest,
  type ClientConfig,
} from "@minipay/shared";
import { AppError } from "../../domain/errors";
import type { AuthService } from "../../services/auth";
import type { CatalogService } from "../../services/catalog";
import type { OrderService } from "../../services/orders";
import type { PaymentService } from "../../services/payments";
import type { RateLimiter } from "../../services/rate-limit";
import { jsonBody } from "../middleware/body";
import { requireUser } from "../middleware/auth";
import { parse } from "../validate";

export interface ApiDeps {
  auth: AuthService;
  catalog: CatalogService;
  orders: OrderService;
  payments: PaymentService;
  verifyLimiter: RateLimiter;
  clientConfig: () => ClientConfig;
  bodyLimit: number;
}

export function apiRouter(d: ApiDeps): Router {
  const r = new Router({ prefix: API_PREFIX });
  const user = requireUser(d.auth);
  r.use(jsonBody(d.bodyLimit));

  r.get("/config", (ctx) => {
    ctx.body = d.clientConfig();
  });
  r.post("/session", async (ctx) => {
    const body = parse(SessionRequest, ctx.state.body);
    ctx.body = await d.auth.login(body.code);
  });
  r.get("/products", async (ctx) => {
    ctx.body = { products: await d.catalog.list() };
  });
  r.post("/orders", user, async (ctx) => {
    const body = parse(CreateOrderRequest, ctx.state.body);
    ctx.body = await d.orders.create(ctx.state.user.id, ctx.get("idempotency-key") || undefined, body);
    ctx.status = 201;
  });
  r.get("/orders", user, async (ctx) => {
    const q = parse(OrderListQuery, ctx.query);
    ctx.body = await d.orders.list(ctx.state.user.id, q.limit, q.cursor);
  });
  r.get("/orders/:id", user, async (ctx) => {
    ctx.body = await d.orders.get(ctx.state.user.id, ctx.params.id!);
  });
  r.post("/orders/:id/payments", user, async (ctx) => {
    const body = parse(CreatePaymentRequest, ctx.state.body);
    ctx.body = await d.payments.create(ctx.state.user, ctx.params.id!, body.method, ctx.ip || "127.0.0.1");
  });
  r.post("/orders/:id/verify", user, async (ctx) => {
    if (!d.verifyLimiter.take(ctx.state.user.id))
      throw new AppError("RATE_LIMITED", undefined, undefined, { "Retry-After": "60" });
    ctx.body = await d.payments.verify(ctx.state.user.id, ctx.params.id!);
  });
  return r;
}
