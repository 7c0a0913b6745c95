/**
 * WeChat reads a notify answer as its protocol says: XML with return_code for v2, JSON with code for
 * v3. An error raised before a notify reaches its service (unknown merchant, body too large, the
 * database down while the merchant is looked up) is answered by errorHandler in our own JSON shape;
 * on the notify URLs this rewrites that body into WeChat's FAIL answer with the same status (and
 * headers, so a 503 keeps its Retry-After). WeChat resends any answer that is not a success.
 */
import type { Middleware } from "koa";

const cdata = (s: string) => `<![CDATA[${s.replace(/]]>/g, "")}]]>`;

export function notifyErrorShape(): Middleware {
  return async (ctx, next) => {
    await next();
    const code = ctx.state.errorCode as string | undefined;
    if (!code || !ctx.path.startsWith("/notify/wechat/")) return;
    const status = ctx.status;
    if (ctx.path.split("/").includes("v2")) {
      ctx.type = "text/xml; charset=utf-8";
      ctx.body = `<xml><return_code>${cdata("FAIL")}</return_code><return_msg>${cdata(code)}</return_msg></xml>`;
    } else {
      ctx.type = "application/json";
      ctx.body = JSON.stringify({ code: "FAIL", message: code });
    }
    ctx.status = status;
  };
}
