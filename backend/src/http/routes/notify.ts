/**
 * WeChat notify endpoints: outside session auth, raw bytes kept for signature checks. The answer
 * (status, content type, body) comes from the gateway so it is exactly what WeChat expects.
 */
import Router from "@koa/router";
import type { NotifyService } from "../../services/notify";
import { rawBody } from "../middleware/body";

export function notifyRouter(notify: NotifyService, bodyLimit: number): Router {
  const r = new Router({ prefix: "/notify/wechat" });
  for (const version of ["v2", "v3"] as const) {
    r.post(`/${version}/pay`, rawBody(bodyLimit), async (ctx) => {
      const ack = await notify.handlePayment(version, { headers: ctx.headers, rawBody: ctx.state.rawBody });
      ctx.status = ack.status;
      ctx.type = ack.contentType;
      ctx.body = ack.body;
    });
  }
  return r;
}
