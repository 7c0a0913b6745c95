/** /admin/v1/reconciliations: run one now, list runs with their counts, one run with its mismatches. */
import type Router from "@koa/router";
import { CreateReconciliationRequest, ReconciliationQuery, type AdminScope } from "@minipay/shared";
import type { Middleware } from "koa";
import type { ReconciliationService } from "../../services/reconciliation";
import { actorOf, keyMerchant } from "../middleware/merchant-key";
import { parse } from "../validate";

export function reconciliationRoutes(
  r: Router,
  need: (scope: AdminScope) => Middleware,
  service: () => ReconciliationService,
): void {
  r.post("/reconciliations", need("reports:read"), async (ctx) => {
    const body = parse(CreateReconciliationRequest, ctx.state.body);
    ctx.body = await service().run(keyMerchant(ctx).id, body.date, "admin", actorOf(ctx));
    ctx.status = 201;
  });
  r.get("/reconciliations", need("reports:read"), async (ctx) => {
    const q = parse(ReconciliationQuery, ctx.query);
    ctx.body = await service().list(keyMerchant(ctx).id, q.limit, q.cursor);
  });
  r.get("/reconciliations/:id", need("reports:read"), async (ctx) => {
    ctx.body = await service().get(keyMerchant(ctx).id, ctx.params.id!);
  });
}
