/** The real thing inside WeChat: uni.login and uni.requestPayment. Marker: minipay-platform:mp-weixin */
import { classifyPayError, type Platform } from "./types";

export const MP_WEIXIN_MARKER = "minipay-platform:mp-weixin";

export function createWeixinPlatform(): Platform {
  return {
    name: "mp-weixin",
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
  };
}
