/** Wires the client once: API client, session, platform adapter, language. */
import type { ClientConfig } from "@minipay/shared";
import { createApi, type Api } from "@minipay/shared";
import { uniHttp } from "./api/http";
import { Session, uniStorage } from "./api/session";
import { PayFlow } from "./flows/pay-flow";
import { uiLang } from "./components-shared";
import type { Lang } from "./i18n";
import { currentPlatform } from "./platform";
import type { Platform } from "./platform/types";

export interface AppContext {
  api: Api;
  session: Session;
  platform: Platform;
  config: ClientConfig;
  lang: Lang;
  payFlow: PayFlow;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const timing = { sleep, now: () => Date.now() };

function apiBase(): string {
  let base = ""; // H5: served by the backend itself, same origin
  // #ifdef MP-WEIXIN
  base = import.meta.env.VITE_API_BASE || "http://127.0.0.1:3000";
  // #endif
  return base;
}

let ctx: Promise<AppContext> | null = null;

export function appContext(): Promise<AppContext> {
  ctx ??= (async () => {
    let session: Session | null = null;
    const api = createApi({
      http: uniHttp,
      baseUrl: apiBase(),
      token: () => session?.token() ?? null,
      relogin: () => session!.login(),
      sleep,
    });
    const config = await api.config();
    const platform = currentPlatform(config);
    session = new Session(
      uniStorage,
      () => platform.login(),
      (code) => api.login(code),
    );
    const lang: Lang = uiLang();
    return { api, session, platform, config, lang, payFlow: new PayFlow(api, platform, timing) };
  })().catch((err) => {
    ctx = null; // let a retry start over
    throw err;
  });
  return ctx;
}

/** Context with a logged-in session; what every page awaits first. */
export async function ready(): Promise<AppContext> {
  const c = await appContext();
  await c.session.ensure();
  return c;
}

export function newIdempotencyKey(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return "mp-" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Pay for an order, then show the result page (which asks the backend, never the callback). */
export async function payAndShowResult(orderId: string): Promise<void> {
  const c = await ready();
  const r = await c.payFlow.pay(orderId);
  if (r.kind === "done")
    uni.redirectTo({ url: `/pages/result/result?orderId=${orderId}&payResult=${r.callback}` });
}
