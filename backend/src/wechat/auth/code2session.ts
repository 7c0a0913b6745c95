/**
 * Mini-program login (WeChat doc "auth.code2Session"): GET /sns/jscode2session. A missing errcode and errcode 0 both
 * mean success. The secret and session_key never appear in errors or logs.
 */
import { WechatLoginError, WechatUpstreamError } from "../errors";
import { createHttp, send } from "../transport/client";
import type { Code2SessionResult, WechatAuth } from "../types";

export function createWechatAuth(o: {
  baseUrl: string;
  appid: string;
  secret: string;
  timeoutMs: number;
}): WechatAuth {
  const http = createHttp({ baseUrl: o.baseUrl, timeoutMs: o.timeoutMs });
  return {
    appid: o.appid,
    async code2Session(code: string): Promise<Code2SessionResult> {
      const q = new URLSearchParams({
        appid: o.appid,
        secret: o.secret,
        js_code: code,
        grant_type: "authorization_code",
      });
      const res = await send(http, "code2Session", { method: "GET", url: `/sns/jscode2session?${q}` });
      if (res.status !== 200) throw new WechatUpstreamError("http", "code2Session", null, res.status);
      let j: any;
      try {
        j = JSON.parse(res.body);
      } catch {
        throw new WechatUpstreamError(
          "http",
          "code2Session",
          null,
          res.status,
          "code2Session: unreadable response",
        );
      }
      const errcode = j?.errcode === undefined ? 0 : Number(j.errcode);
      if (errcode !== 0) throw new WechatLoginError(errcode);
      if (typeof j.openid !== "string" || typeof j.session_key !== "string")
        throw new WechatUpstreamError(
          "http",
          "code2Session",
          null,
          res.status,
          "code2Session: fields missing",
        );
      return { openid: j.openid, sessionKey: j.session_key, unionid: j.unionid ?? null };
    },
  };
}
