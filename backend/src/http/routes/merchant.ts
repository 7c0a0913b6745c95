/**
 * /merchant/v1: payment-centre mode, for a merchant's own server. The admin API's keys and scopes
 * (requireMerchantKey, with its per-key limit); thin routes: key and scope, parse, one service call.
 */
import Router from "@koa/router";
import { CreateMerchantOrderRequest, CreateMerchantRefundRequest, MERCHANT_PREFIX } from "@minipay/shared";
import type { MerchantOrderService } from "../../services/merchant-orders";
import type { MerchantRefundService } from "../../services/merchant-refunds";
import { jsonBody } from "../middleware/body";
import { actorOf, keyMerchant, requireMerchantKey, type MerchantKeyDeps } from "../middleware/merchant-key";
import { parse } from "../validate";

export interface MerchantApiDeps extends MerchantKeyDeps {
  merchantOrders: MerchantOrderService;
  merchantRefunds: MerchantRefundService;
  bodyLimit: number;
}

/** Every route with the scope it needs (the OpenAPI document walks this list). */
export const MERCHANT_ROUTES = [
  { method: "POST", path: "/orders", scope: "orders:write" },
  { method: "GET", path: "/orders/:merchantOrderNo", scope: "orders:read" },
  { method: "POST", path: "/orders/:merchantOrderNo/close", scope: "orders:write" },
  { method: "POST", path: "/orders/:merchantOrderNo/refunds", scope: "refunds:write" },
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
    const order = await d.merchantOrders.get(keyMerchant(ctx), ctx.params.merchantOrderNo!);
    ctx.body = { ...order, refunds: await d.merchantRefunds.forOrder(order.orderId) };
  });
  r.post("/orders/:merchantOrderNo/close", need("orders:write"), async (ctx) => {
    ctx.body = await d.merchantOrders.close(keyMerchant(ctx), ctx.params.merchantOrderNo!, actorOf(ctx));
  });
  r.post("/orders/:merchantOrderNo/refunds", need("refunds:write"), async (ctx) => {
    const body = parse(CreateMerchantRefundRequest, ctx.state.body);
    const { refund, replayed } = await d.merchantRefunds.create(
      keyMerchant(ctx),
      ctx.params.merchantOrderNo!,
      body,
      ctx.get("idempotency-key") || undefined,
      actorOf(ctx),
    );
    ctx.set("Cache-Control", "no-store");
    ctx.status = replayed ? 200 : 201;
    ctx.body = refund;
  });
  return r;
}
