import type { Context, Middleware } from "koa";
import type { AdminScope } from "@minipay/shared";
import { AppError } from "../../domain/errors";
import type { ApiKeyRecord } from "../../db/repositories";
import type { MerchantContext, MerchantRegistry } from "../../merchants/registry";
import type { AdminActor } from "../../services/admin/actor";
import type { ApiKeyService } from "../../services/admin/keys";

/**
 * The rate-limit hook for admin keys. Not wired yet: the shared PostgreSQL store (branch `limits`)
 * will provide it. `take` answers for one request of `key`; when refused, the request gets
 * 429 RATE_LIMITED with Retry-After.
 */
export interface AdminLimiter {
  take(key: string): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
}

export interface MerchantKeyDeps {
  keys: ApiKeyService;
  registry: MerchantRegistry;
  limiter?: AdminLimiter;
}

/**
 * `Authorization: Bearer mk_…` → ctx.state.apiKey and its merchant → ctx.state.merchant.
 * No, unknown or revoked key: 401 UNAUTHENTICATED. A key without `scope`: 403 FORBIDDEN with
 * `details.requiredScope`. `scope` null: any live key will do (GET /me). The key is read from the database on every request (no cache), so a
 * revocation applies to the next request.
 */
export function requireMerchantKey(scope: AdminScope | null, d: MerchantKeyDeps): Middleware {
  return async (ctx, next) => {
    const m = /^Bearer (\S+)$/.exec(ctx.get("authorization"));
    const key = await d.keys.authenticate(m ? m[1]! : null);
    const merchant = await d.registry.byId(key.merchantId);
    if (!merchant) throw new AppError("UNAUTHENTICATED");
    if (d.limiter) {
      const verdict = await d.limiter.take(`admin-key:${key.id}`);
      if (!verdict.allowed)
        throw new AppError("RATE_LIMITED", undefined, undefined, {
          "Retry-After": String(Math.max(1, Math.ceil(verdict.retryAfterSeconds))),
        });
    }
    if (scope && !key.scopes.includes(scope))
      throw new AppError("FORBIDDEN", undefined, { requiredScope: scope });
    ctx.state.apiKey = key;
    ctx.state.merchant = merchant;
    await next();
  };
}

export const apiKeyOf = (ctx: Context): ApiKeyRecord => ctx.state.apiKey as ApiKeyRecord;
export const keyMerchant = (ctx: Context): MerchantContext => ctx.state.merchant as MerchantContext;
export const actorOf = (ctx: Context): AdminActor => {
  const k = apiKeyOf(ctx);
  return { keyId: k.id, keyName: k.name, requestId: (ctx.state.requestId as string) ?? null };
};
