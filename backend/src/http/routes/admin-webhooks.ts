/** /admin/v1 webhook routes (scope webhooks:write): endpoints, their secrets, and deliveries. */
import type Router from "@koa/router";
import type { Middleware } from "koa";
import {
  CreateWebhookEndpointRequest,
  UpdateWebhookEndpointRequest,
  WebhookDeliveryQuery,
} from "@minipay/shared";
import type { WebhookAdminService } from "../../services/admin/webhooks";
import { actorOf, keyMerchant } from "../middleware/merchant-key";
import { parse } from "../validate";

export const WEBHOOK_ROUTES = [
  { method: "GET", path: "/webhook-endpoints", scope: "webhooks:write" },
  { method: "POST", path: "/webhook-endpoints", scope: "webhooks:write" },
  { method: "PATCH", path: "/webhook-endpoints/:id", scope: "webhooks:write" },
  { method: "DELETE", path: "/webhook-endpoints/:id", scope: "webhooks:write" },
  { method: "POST", path: "/webhook-endpoints/:id/rotate-secret", scope: "webhooks:write" },
  { method: "GET", path: "/webhook-deliveries", scope: "webhooks:write" },
  { method: "POST", path: "/webhook-deliveries/:id/retry", scope: "webhooks:write" },
  { method: "POST", path: "/order-notify-secret", scope: "webhooks:write" },
] as const;

export function mountWebhookRoutes(r: Router, need: Middleware, webhooks: WebhookAdminService): void {
  r.get("/webhook-endpoints", need, async (ctx) => {
    ctx.body = { endpoints: await webhooks.list(keyMerchant(ctx).id) };
  });
  r.post("/webhook-endpoints", need, async (ctx) => {
    const body = parse(CreateWebhookEndpointRequest, ctx.state.body);
    ctx.body = await webhooks.create(keyMerchant(ctx).id, body, actorOf(ctx));
    ctx.status = 201;
  });
  r.patch("/webhook-endpoints/:id", need, async (ctx) => {
    const body = parse(UpdateWebhookEndpointRequest, ctx.state.body);
    ctx.body = await webhooks.update(keyMerchant(ctx).id, ctx.params.id!, body, actorOf(ctx));
  });
  r.delete("/webhook-endpoints/:id", need, async (ctx) => {
    await webhooks.remove(keyMerchant(ctx).id, ctx.params.id!, actorOf(ctx));
    ctx.status = 204;
  });
  r.post("/webhook-endpoints/:id/rotate-secret", need, async (ctx) => {
    ctx.body = await webhooks.rotateSecret(keyMerchant(ctx).id, ctx.params.id!, actorOf(ctx));
  });
  r.get("/webhook-deliveries", need, async (ctx) => {
    const q = parse(WebhookDeliveryQuery, ctx.query);
    ctx.body = await webhooks.deliveries(keyMerchant(ctx).id, {
      filter: { endpointId: q.endpoint, eventType: q.event, status: q.status },
      limit: q.limit,
      cursor: q.cursor,
    });
  });
  r.post("/webhook-deliveries/:id/retry", need, async (ctx) => {
    ctx.body = await webhooks.retry(keyMerchant(ctx).id, ctx.params.id!, actorOf(ctx));
  });
  r.post("/order-notify-secret", need, async (ctx) => {
    ctx.body = await webhooks.orderNotifySecret(keyMerchant(ctx).id, actorOf(ctx));
  });
}
