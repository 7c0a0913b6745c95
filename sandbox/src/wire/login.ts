/** GET /sns/jscode2session (docs/wechatpay-spec.md §1.1): WeChat's success body and errcodes, with a `rid` suffix. */
import crypto from "node:crypto";
import Router from "@koa/router";
import type { SandboxContext } from "./context";

const rid = () =>
  `rid: ${crypto.randomBytes(4).toString("hex")}-${crypto.randomBytes(4).toString("hex")}-${crypto.randomBytes(4).toString("hex")}`;

/** Per-code-owner rate limit (45011): 100 calls a minute, the older doc's number. */
class Quota {
  private readonly hits = new Map<string, number[]>();
  take(key: string, now: number): boolean {
    const list = (this.hits.get(key) ?? []).filter((t) => now - t < 60_000);
    list.push(now);
    this.hits.set(key, list);
    return list.length <= 100;
  }
}

export function loginRoutes(c: SandboxContext): Router {
  const r = new Router();
  const quota = new Quota();
  r.get("/sns/jscode2session", (ctx) => {
    const q = ctx.query as Record<string, string | undefined>;
    const err = (errcode: number, errmsg: string) => {
      ctx.body = { errcode, errmsg: `${errmsg}, ${rid()}` };
    };
    const m = c.merchants.byAppid(q.appid);
    // ASSUMPTION: 40013/40125 for a wrong appid/secret on this endpoint (seen on cgi-bin; docs/wechatpay-spec.md §1.1).
    if (!m) return err(40013, "invalid appid");
    if (q.secret !== m.appsecret) return err(40125, "invalid appsecret");
    if (q.grant_type !== "authorization_code" || !q.js_code) return err(40029, "invalid code");
    const fault = c.scenarios.take("login_error", { mchid: m.mchid });
    if (fault) {
      const code = fault.errcode ?? -1;
      const msg =
        code === 45011
          ? "api minute-quota reach limit mustslower retry next minute"
          : code === 40226
            ? "code blocked"
            : "system error";
      return err(code, msg);
    }
    const owner = c.store.peekCode(q.js_code);
    if (owner && !quota.take(`${m.appid}|${owner}`, c.now()))
      return err(45011, "api minute-quota reach limit mustslower retry next minute");
    const res = c.store.redeemCode(m.appid, q.js_code);
    if (res === "invalid") return err(40029, "invalid code");
    if (res === "used") return err(40163, "code been used");
    // Success: the current API omits errcode (docs/wechatpay-spec.md §1.1).
    ctx.body = { session_key: crypto.randomBytes(16).toString("base64"), openid: res.openid };
  });
  return r;
}
