import type { Context, Middleware } from "koa";
import { AppError } from "../../domain/errors";
import type { MerchantContext, MerchantRegistry } from "../../merchants/registry";
import type { AuthedUser, AuthService } from "../../services/auth";

const bearer = (ctx: Context): string | null => {
  const m = /^Bearer ([A-Za-z0-9_-]+)$/.exec(ctx.get("authorization"));
  return m ? m[1]! : null;
};

/** Bearer token → ctx.state.user and the user's merchant → ctx.state.merchant. */
export function requireUser(auth: AuthService, registry: MerchantRegistry): Middleware {
  return async (ctx, next) => {
    const user = await auth.authenticate(bearer(ctx));
    const merchant = await registry.byId(user.merchantId);
    if (!merchant) throw new AppError("UNAUTHENTICATED");
    ctx.state.user = user;
    ctx.state.merchant = merchant;
    await next();
  };
}

/**
 * The merchant of a request that may come before login: the session's when a token is sent, else
 * the `appid` query parameter (optional when the backend serves one app).
 */
export async function merchantOf(
  ctx: Context,
  auth: AuthService,
  registry: MerchantRegistry,
): Promise<MerchantContext> {
  if (ctx.get("authorization")) {
    const user = await auth.authenticate(bearer(ctx));
    const m = await registry.byId(user.merchantId);
    if (!m) throw new AppError("UNAUTHENTICATED");
    return m;
  }
  const appid = ctx.query.appid;
  if (Array.isArray(appid)) throw new AppError("VALIDATION_FAILED", undefined, { field: "appid" });
  return registry.forApp(appid);
}

export const userOf = (ctx: Context): AuthedUser => ctx.state.user as AuthedUser;
export const merchantIn = (ctx: Context): MerchantContext => ctx.state.merchant as MerchantContext;
