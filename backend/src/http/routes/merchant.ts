/**
 * /merchant/v1: payment-centre mode, for a merchant's own server. The admin API's keys and scopes
 * (requireMerchantKey, with its per-key limit); thin routes: key and scope, parse, one service call.
 */
import Router from "@koa/router";
import { CreateMerchantOrderRequest, MERCHANT_PREFIX } from "@minipay/shared";
import type { MerchantOrderService } from "../../services/merchant-orders";
import { jsonBody } from "../middleware/body";
import { actorOf, keyMerchant, requireMerchantKey, type MerchantKeyDeps } from "../middleware/merchant-key";
import { parse } from "../validate";

export interface MerchantApiDeps extends MerchantKeyDeps {
  merchantOrders: MerchantOrderService;
  bodyLimit: number;
}

/** Every route with the scope it needs (the OpenAPI document walks this list). */
export const MERCHANT_ROUTES = [
  { method: "POST", path: "/orders", scope: "orders:write" },
  { method: "GET", path: "/orders/:merchantOrderNo", scope: "orders:read" },
  { method: "POST", path: "/orders/:merchantOrderNo/close", scope: "orders:write" },
] as const;

export function merchantRouter(d: MerchantApiDeps): Router {
  const r = new Router({ prefix: MERCHANT_PREFIX });
  const need = (scope: Parameters<typeof requireMerchantKey>[0]) => requireMerchantKey(scope, d);
  r.use(jsonBody(d.bodyLimit));

  r.post("/orders", need("orders:write"), async (ctx) => {
    const body = parse(CreateMerchantOrderRequest, ctx.state.body);
    const key = ctx.get("idempotency-key") || undefined;
    const { order, created } = await d.merchantOrders.create(
      keyMerchant(ctx),
      key,
      body,
      ctx.ip || "127.0.0.1",
    );
    ctx.set("Cache-Control", "no-store");
    ctx.status = created ? 201 : 200;
    ctx.body = order;
  });
  r.get("/orders/:merchantOrderNo", need("orders:read"), async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    ctx.body = await d.merchantOrders.get(keyMerchant(ctx), ctx.params.merchantOrderNo!);
  });
  r.post("/orders/:merchantOrderNo/close", need("orders:write"), async (ctx) => {
    ctx.body = await d.merchantOrders.close(keyMerchant(ctx), ctx.params.merchantOrderNo!, actorOf(ctx));
  });
  return r;
}
