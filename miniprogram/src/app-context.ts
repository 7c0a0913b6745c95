/** Wires the client once: API client, session, platform adapter, language. */
import { createApi, type Api, type ClientConfig } from "@minipay/shared";
import { uniHttp } from "./api/http";
import { Session, uniStorage } from "./api/session";
import { apiBaseFor, asEnvVersion } from "./config";
import { OrderWatcher, PayFlow, type Timing, type WatchState } from "./flows/pay-flow";
import { systemLang, type Lang } from "./i18n";
import { currentPlatform } from "./platform";
import type { Platform } from "./platform/types";
import { newIdempotencyKey } from "./util/random";

export interface AppContext {
  api: Api;
  session: Session;
  platform: Platform;
  config: ClientConfig;
  payFlow: PayFlow;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const timing: Timing = { sleep, now: () => Date.now() };

function apiBase(): string {
  let base = ""; // H5: served by the backend itself, same origin
  // #ifdef MP-WEIXIN
  base = apiBaseFor(import.meta.env, asEnvVersion(uni.getAccountInfoSync().miniProgram.envVersion));
  // #endif
  return base;
}

let langCache: Lang | null = null;
/** The shopper's language, read once from the system: English if it is English, else Chinese. */
export function lang(): Lang {
  if (!langCache) {
    let language: string | undefined;
    try {
      language = uni.getAppBaseInfo().language;
    } catch {
      // Base libraries before getAppBaseInfo have only the deprecated call.
      try {
        language = uni.getSystemInfoSync().language;
      } catch {
        language = undefined;
      }
    }
    langCache = systemLang(language);
  }
  return langCache;
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
      (code) => api.login(code, platform.appid ?? undefined),
    );
    return { api, session, platform, config, payFlow: new PayFlow(api, platform) };
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

/** One key per confirm visit, from the platform's random source. */
export async function idempotencyKey(): Promise<string> {
  const c = await appContext();
  return newIdempotencyKey((n) => c.platform.randomBytes(n));
}

export async function watchOrder(orderId: string, onUpdate: (s: WatchState) => void): Promise<OrderWatcher> {
  const c = await ready();
  return new OrderWatcher(c.api, orderId, timing, onUpdate);
}
