import type { Middleware } from "koa";
import type { AuthService } from "../../services/auth";

/** Bearer token → ctx.state.user, or UNAUTHENTICATED / SESSION_EXPIRED from the service. */
export function requireUser(auth: AuthService): Middleware {
  return async (ctx, next) => {
    const header = ctx.get("authorization");
    const m = /^Bearer ([A-Za-z0-9_-]+)$/.exec(header);
    ctx.state.user = await auth.authenticate(m ? m[1]! : null);
    await next();
  };
}
