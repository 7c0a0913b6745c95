import type { RequestPaymentParams } from "@minipay/shared";

/** "redirected": the H5 sandbox left the page for its cashier; the result page takes over. */
export type PayCallback = "ok" | "cancel" | "fail" | "redirected";

export interface Platform {
  readonly name: "mp-weixin" | "h5-sandbox";
  /** The appid sent at login (the backend may serve several mini-programs). */
  readonly appid: string | null;
  /** A login code, as wx.login hands out. */
  login(): Promise<string>;
  /** Open the payment sheet with exactly the backend's params. */
  requestPayment(params: RequestPaymentParams, ctx: { orderId: string }): Promise<PayCallback>;
  /** Where the Native "scan" happens (H5 only); null where there is none. */
  scanLink(codeUrl: string, ctx: { orderId: string }): string | null;
  /** Cryptographically random bytes from the platform (WeChat has no Web Crypto). */
  randomBytes(n: number): Promise<Uint8Array>;
}

/** Map requestPayment's errMsg to what we care about. */
export function classifyPayError(errMsg: string | undefined): PayCallback {
  return /cancel/i.test(errMsg ?? "") ? "cancel" : "fail";
}
