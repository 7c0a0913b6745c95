/**
 * H5 outside WeChat, against the Minipay WeChat sandbox: login codes from its control API, the
 * payment sheet is its cashier page, which sends the shopper back to our result page with
 * `payResult=ok|cancel|fail`. Marker: minipay-platform:h5-sandbox
 */
import type { Platform } from "./types";

export const H5_SANDBOX_MARKER = "minipay-platform:h5-sandbox";
const OPENID_KEY = "minipay.sandbox.openid";

export interface SandboxPlatformDeps {
  sandboxUrl: string;
  appid: string;
  /** Absolute URL of the app's index (…/app/), for the cashier to return to. */
  appUrl: string;
  fetch: typeof fetch;
  storage: { get(k: string): string | null; set(k: string, v: string): void };
  navigate(url: string): void;
  /** Web Crypto's getRandomValues (fine in a browser, which is the only place this runs). */
  fillRandom(b: Uint8Array): Uint8Array;
}

export function resultUrl(appUrl: string, orderId: string): string {
  return `${appUrl.replace(/#.*$/, "")}#/pages/result/result?orderId=${encodeURIComponent(orderId)}`;
}

export function createSandboxPlatform(d: SandboxPlatformDeps): Platform {
  const base = d.sandboxUrl.replace(/\/$/, "");
  return {
    name: "h5-sandbox",
    appid: d.appid,
    randomBytes: async (n) => d.fillRandom(new Uint8Array(n)),
    async login() {
      const openid = d.storage.get(OPENID_KEY);
      const res = await d.fetch(`${base}/__sandbox/login-codes`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ appid: d.appid, ...(openid ? { openid } : {}) }),
      });
      if (!res.ok) throw new Error(`${H5_SANDBOX_MARKER} login-codes ${res.status}`);
      const j = (await res.json()) as { code: string; openid: string };
      d.storage.set(OPENID_KEY, j.openid); // the same browser stays the same shopper
      return j.code;
    },
    async requestPayment(p, ctx) {
      const prepayId = p.package.replace(/^prepay_id=/, "");
      const q = new URLSearchParams({
        prepay_id: prepayId,
        openid: d.storage.get(OPENID_KEY) ?? "",
        return_url: resultUrl(d.appUrl, ctx.orderId),
      });
      d.navigate(`${base}/__sandbox/cashier?${q}`);
      return "redirected";
    },
    scanLink(codeUrl, ctx) {
      const q = new URLSearchParams({
        code_url: codeUrl,
        openid: d.storage.get(OPENID_KEY) ?? "",
        return_url: resultUrl(d.appUrl, ctx.orderId),
      });
      return `${base}/__sandbox/cashier?${q}`;
    },
  };
}
