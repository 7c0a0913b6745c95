import type { RequestPaymentParams } from "@minipay/shared";

/** "redirected": the H5 sandbox left the page for its cashier; the result page takes over. */
export type PayCallback = "ok" | "cancel" | "fail" | "redirected";

export interface Platform {
  readonly name: "mp-weixin" | "h5-sandbox";
  /** A login code, as wx.login hands out. */
  login(): Promise<string>;
  /** Open the payment sheet with exactly the backend's params. */
  requestPayment(params: RequestPaymentParams, ctx: { orderId: string }): Promise<PayCallback>;
  /** Where the Native "scan" happens (H5 only); null where there is none. */
  scanLink(codeUrl: string, ctx: { orderId: string }): string | null;
}

/** Map requestPayment's errMsg to what we care about (spec §2.10). */
export function classifyPayError(errMsg: string | undefined): PayCallback {
  return /cancel/i.test(errMsg ?? "") ? "cancel" : "fail";
}
