/**
 * The hosted checkout page of payment-centre mode: GET /pay/{token} (HTML) and GET
 * /pay/{token}/status (JSON, polled by the page about every 3 s). No login: the token is the
 * capability. Nothing is cached, no referrer leaves the page, and it cannot be framed.
 */
import crypto from "node:crypto";
import Router from "@koa/router";
import type { Context } from "koa";
import type { MerchantOrderService } from "../../services/merchant-orders";
import { sendError } from "../middleware/errors";
import { checkoutCsp, renderCheckout, renderCheckoutNotFound } from "./checkout-page";

function pageHeaders(ctx: Context, nonce: string): void {
  ctx.set("Content-Security-Policy", checkoutCsp(nonce));
  ctx.set("Cache-Control", "no-store");
  ctx.set("Referrer-Policy", "no-referrer");
  ctx.set("X-Frame-Options", "DENY");
}

export function checkoutRouter(service: MerchantOrderService): Router {
  const r = new Router({ prefix: "/pay" });
  r.get("/:token", async (ctx) => {
    const nonce = crypto.randomBytes(16).toString("base64");
    pageHeaders(ctx, nonce);
    ctx.type = "text/html; charset=utf-8";
    const view = await service.checkout(ctx.params.token!, ctx.ip || "127.0.0.1");
    if (!view) {
      ctx.status = 404;
      ctx.body = renderCheckoutNotFound(nonce);
      return;
    }
    ctx.body = renderCheckout(view, ctx.params.token!, nonce);
  });
  r.get("/:token/status", async (ctx) => {
    ctx.set("Cache-Control", "no-store");
    const s = await service.checkoutStatus(ctx.params.token!);
    if (!s) return sendError(ctx, "NOT_FOUND");
    ctx.body = s;
  });
  return r;
}
