/** The admin refund routes (mounted by routes/admin.ts, listed in its ADMIN_ROUTES). */
import type Router from "@koa/router";
import { CreateRefundRequest, RefundQuery } from "@minipay/shared";
import type { RefundService } from "../../services/refunds";
import { actorOf, keyMerchant, requireMerchantKey, type MerchantKeyDeps } from "../middleware/merchant-key";
import { parse } from "../validate";

export const ADMIN_REFUND_ROUTES = [
  { method: "POST", path: "/orders/:id/refunds", scope: "refunds:write" },
  { method: "GET", path: "/refunds", scope: "orders:read" },
  { method: "GET", path: "/refunds/:id", scope: "orders:read" },
] as const;

export function mountRefundRoutes(r: Router, d: MerchantKeyDeps & { refunds: RefundService }): void {
  const need = (scope: Parameters<typeof requireMerchantKey>[0]) => requireMerchantKey(scope, d);
  r.post("/orders/:id/refunds", need("refunds:write"), async (ctx) => {
    const body = parse(CreateRefundRequest, ctx.state.body);
    const { refund, replayed } = await d.refunds.create(
      keyMerchant(ctx),
      ctx.params.id!,
      body,
      ctx.get("idempotency-key") || undefined,
      actorOf(ctx),
    );
    ctx.status = replayed ? 200 : 201;
    ctx.body = refund;
  });
  r.get("/refunds", need("orders:read"), async (ctx) => {
    const q = parse(RefundQuery, ctx.query);
    ctx.body = await d.refunds.list(keyMerchant(ctx).id, {
      filter: { states: q.state, orderId: q.orderId },
      limit: q.limit,
      cursor: q.cursor,
    });
  });
  r.get("/refunds/:id", need("orders:read"), async (ctx) => {
    ctx.body = await d.refunds.get(keyMerchant(ctx).id, ctx.params.id!);
  });
}
