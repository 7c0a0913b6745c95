/**
 * The real thing inside WeChat: uni.login, uni.requestPayment, and random bytes from wx (the
 * logic layer has no Web Crypto). Marker: minipay-platform:mp-weixin
 */
import { classifyPayError, type Platform } from "./types";

export const MP_WEIXIN_MARKER = "minipay-platform:mp-weixin";

interface RandomOpts {
  length: number;
  success(r: { randomValues: ArrayBuffer }): void;
  fail(e: { errMsg: string }): void;
}
/** The two places WeChat offers random bytes (newer base libraries have the first). */
export interface WxRandom {
  getRandomValues?(o: RandomOpts): void;
  getUserCryptoManager?(): { getRandomValues(o: RandomOpts): void };
}

export function wxRandomBytes(w: WxRandom, n: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const o: RandomOpts = {
      length: n,
      success: (r) => resolve(new Uint8Array(r.randomValues)),
      fail: (e) => reject(new Error(`${MP_WEIXIN_MARKER} getRandomValues: ${e.errMsg}`)),
    };
    if (w.getRandomValues) w.getRandomValues(o);
    else if (w.getUserCryptoManager) w.getUserCryptoManager().getRandomValues(o);
    else reject(new Error(`${MP_WEIXIN_MARKER} no random source in this WeChat version`));
  });
}

declare const wx: WxRandom;

export function createWeixinPlatform(): Platform {
  return {
    name: "mp-weixin",
    appid: uni.getAccountInfoSync().miniProgram.appId,
    login: () =>
      new Promise((resolve, reject) =>
        uni.login({
          provider: "weixin",
          success: (r) =>
            r.code ? resolve(r.code) : reject(new Error(`${MP_WEIXIN_MARKER} login without code`)),
          fail: (e) => reject(new Error(e.errMsg)),
        }),
      ),
    requestPayment: (p) =>
      new Promise((resolve) =>
        uni.requestPayment({
          provider: "wxpay",
          orderInfo: "",
          timeStamp: p.timeStamp,
          nonceStr: p.nonceStr,
          package: p.package,
          signType: p.signType,
          paySign: p.paySign,
          success: () => resolve("ok"),
          fail: (e: { errMsg?: string }) => resolve(classifyPayError(e.errMsg)),
        } as any),
      ),
    scanLink: () => null,
    randomBytes: (n) => wxRandomBytes(wx, n),
  };
}
