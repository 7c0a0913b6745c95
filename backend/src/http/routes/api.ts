/** /api/v1: thin routes: find the merchant, parse with the shared schema, call one service, shape the answer. */
import Router from "@koa/router";
import {
  API_PREFIX,
  Appid,
  CreateOrderRequest,
  CreatePaymentRequest,
  OrderListQuery,
  QuoteRequest,
  SessionRequest,
} from "@minipay/shared";
import type { MerchantRegistry } from "../../merchants/registry";
import type { AuthService } from "../../services/auth";
import type { CatalogService } from "../../services/catalog";
import type { OrderService } from "../../services/orders";
import type { PaymentService } from "../../services/payments";
import { jsonBody } from "../middleware/body";
import { merchantIn, merchantOf, requireUser, userOf } from "../middleware/auth";
import { parse } from "../validate";

export interface ApiDeps {
  registry: MerchantRegistry;
  auth: AuthService;
  catalog: CatalogService;
  orders: OrderService;
  payments: PaymentService;
  /** Counts one verify for the user; RATE_LIMITED over the limit (shared by every process). */
  verifyLimit: (userId: string) => Promise<void>;
  bodyLimit: number;
}

export function apiRouter(d: ApiDeps): Router {
  const r = new Router({ prefix: API_PREFIX });
  const user = requireUser(d.auth, d.registry);
  const merchant = (ctx: Parameters<typeof merchantOf>[0]) => {
    if (typeof ctx.query.appid === "string") parse(Appid, ctx.query.appid, "appid");
    return merchantOf(ctx, d.auth, d.registry);
  };
  r.use(jsonBody(d.bodyLimit));

  r.get("/config", async (ctx) => {
    ctx.body = (await merchant(ctx)).client;
  });
  r.post("/session", async (ctx) => {
    const body = parse(SessionRequest, ctx.state.body);
    ctx.body = await d.auth.login(await d.registry.forApp(body.appid), body.code, ctx.ip || "unknown");
  });
  r.get("/products", async (ctx) => {
    ctx.body = { products: await d.catalog.list(await merchant(ctx)) };
  });
  r.post("/quotes", async (ctx) => {
    const body = parse(QuoteRequest, ctx.state.body);
    ctx.body = await d.orders.quote(await merchant(ctx), body);
  });
  r.post("/orders", user, async (ctx) => {
    const body = parse(CreateOrderRequest, ctx.state.body);
    const key = ctx.get("idempotency-key") || undefined;
    ctx.body = await d.orders.create(merchantIn(ctx), userOf(ctx), key, body);
    ctx.status = 201;
  });
  r.get("/orders", user, async (ctx) => {
    const q = parse(OrderListQuery, ctx.query);
    ctx.body = await d.orders.list(merchantIn(ctx).id, userOf(ctx).id, q.limit, q.cursor);
  });
  r.get("/orders/:id", user, async (ctx) => {
    ctx.body = await d.orders.get(merchantIn(ctx).id, userOf(ctx).id, ctx.params.id!);
  });
  r.post("/orders/:id/payments", user, async (ctx) => {
    const body = parse(CreatePaymentRequest, ctx.state.body);
    ctx.body = await d.payments.create(
      merchantIn(ctx),
      userOf(ctx),
      ctx.params.id!,
      body.method,
      ctx.ip || "127.0.0.1",
    );
  });
  r.post("/orders/:id/verify", user, async (ctx) => {
    await d.verifyLimit(userOf(ctx).id);
    ctx.body = await d.payments.verify(merchantIn(ctx), userOf(ctx).id, ctx.params.id!);
  });
  return r;
}
