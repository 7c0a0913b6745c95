/**
 * GET /admin/v1/me: the calling key's own name, merchant and scopes. It needs no scope, only a live
 * key, so a client (the console) can hide what the key cannot use instead of trying and failing.
 * Kept out of ADMIN_ROUTES, whose routes each need a scope.
 */
import Router from "@koa/router";
import { ADMIN_PREFIX, type AdminMe, type AdminScope } from "@minipay/shared";
import { apiKeyOf, keyMerchant, requireMerchantKey, type MerchantKeyDeps } from "../middleware/merchant-key";

export function adminMeRouter(d: MerchantKeyDeps): Router {
  const r = new Router({ prefix: ADMIN_PREFIX });
  r.get("/me", requireMerchantKey(null, d), (ctx) => {
    const key = apiKeyOf(ctx);
    const merchant = keyMerchant(ctx);
    const me: AdminMe = {
      keyId: key.id,
      keyName: key.name,
      merchantId: merchant.id,
      merchantName: merchant.name,
      scopes: key.scopes as AdminScope[],
    };
    ctx.set("Cache-Control", "no-store");
    ctx.body = me;
  });
  return r;
}
