/**
 * Picks the platform adapter at build time (uni-app conditional compilation): the mp-weixin build
 * contains only the real WeChat adapter, the H5 build only the sandbox one.
 */
import type { ClientConfig } from "@minipay/shared";
import type { Platform } from "./types";
// #ifdef MP-WEIXIN
import { createWeixinPlatform } from "./mp-weixin";
// #endif
// #ifdef H5
import { createSandboxPlatform } from "./h5-sandbox";
// #endif

export function currentPlatform(config: ClientConfig): Platform {
  let p: Platform | null = null;
  // #ifdef MP-WEIXIN
  p = createWeixinPlatform();
  // #endif
  // #ifdef H5
  if (!config.sandboxUrl)
    throw new Error("this H5 build pays through the WeChat sandbox, but the backend has none");
  p = createSandboxPlatform({
    sandboxUrl: config.sandboxUrl,
    appid: config.appid,
    appUrl: window.location.href.replace(/#.*$/, ""),
    fetch: window.fetch.bind(window),
    storage: { get: (k) => localStorage.getItem(k), set: (k, v) => localStorage.setItem(k, v) },
    navigate: (url) => window.location.assign(url),
    fillRandom: (b) => window.crypto.getRandomValues(b),
  });
  // #endif
  if (!p) throw new Error(`no platform adapter for this build (${config.appid})`);
  return p;
}
