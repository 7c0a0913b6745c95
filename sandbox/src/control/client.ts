/**
 * A typed client for the control API under /__sandbox/: one method per route, answers typed as
 * the routes build them, and a non-2xx answer thrown as SandboxControlError (status + code).
 */
import type { MerchantName } from "../crypto/keys";
import type { ScenarioRule, StoredRule } from "../notify/scenarios";
import { fetchJson, type JsonResponse } from "./fetch-json";
import type {
  ClearedBody,
  LoginCode,
  MerchantsDoc,
  NotificationsBody,
  NotifyAttempt,
  PayReq,
  PayResult,
  SandboxMerchant,
  ScenariosBody,
} from "./routes";

/** A scenario as a caller writes it (zod input: optional fields may be left out). */
export type ScenarioInput = import("zod").input<typeof ScenarioRule>;
export type PayInput = import("zod").input<typeof PayReq>;

export class SandboxControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    /** The sandbox's own message. */
    readonly detail: string,
  ) {
    super(`sandbox control ${status} ${code}: ${detail}`);
  }
}

export class SandboxControl {
  readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/$/, "");
  }

  /** Any control route, unchecked: for tests of refusals (status and error body as answered). */
  request<T = any>(method: string, path: string, body?: unknown): Promise<JsonResponse<T>> {
    return fetchJson<T>(this.baseUrl + path, { method, body });
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request<T>(method, path, body);
    if (res.status >= 200 && res.status < 300) return res.body;
    const err = (res.body as { error?: { code?: string; message?: string } } | null)?.error;
    throw new SandboxControlError(
      res.status,
      err?.code ?? "HTTP_ERROR",
      err?.message ?? JSON.stringify(res.body),
    );
  }

  /** Every merchant with its keys, plus the URLs and CA a client needs. */
  merchants(): Promise<MerchantsDoc> {
    return this.call("GET", "/__sandbox/merchants");
  }

  async merchant(name: MerchantName): Promise<SandboxMerchant> {
    const doc = await this.merchants();
    const m = doc.merchants.find((x) => x.name === name);
    if (!m)
      throw new SandboxControlError(
        404,
        "MERCHANT_NOT_FOUND",
        `no merchant ${name}; have ${doc.merchants.map((x) => x.name).join(", ")}`,
      );
    return m;
  }

  /** A wx.login code for the appid (optionally for a chosen openid). */
  loginCode(appid: string, openid?: string): Promise<LoginCode> {
    return this.call("POST", "/__sandbox/login-codes", { appid, ...(openid ? { openid } : {}) });
  }

  /** The shopper acts on an order found by prepay_id, code_url or out_trade_no. */
  pay(req: PayInput): Promise<PayResult> {
    return this.call("POST", "/__sandbox/pay", req);
  }

  async scenario(rule: ScenarioInput): Promise<StoredRule> {
    return (await this.addScenarios([rule]))[0]!;
  }

  async addScenarios(rules: ScenarioInput[]): Promise<StoredRule[]> {
    return (await this.call<ScenariosBody>("POST", "/__sandbox/scenarios", rules)).scenarios;
  }

  async listScenarios(): Promise<StoredRule[]> {
    return (await this.call<ScenariosBody>("GET", "/__sandbox/scenarios")).scenarios;
  }

  /** Removes every rule; answers how many there were. */
  async clearScenarios(): Promise<number> {
    return (await this.call<ClearedBody>("DELETE", "/__sandbox/scenarios")).cleared;
  }

  /** Every notify attempt (oldest first), optionally for one out_trade_no. */
  async notifications(filter: { out_trade_no?: string } = {}): Promise<NotifyAttempt[]> {
    const q = filter.out_trade_no ? `?out_trade_no=${encodeURIComponent(filter.out_trade_no)}` : "";
    return (await this.call<NotificationsBody>("GET", `/__sandbox/notifications${q}`)).notifications;
  }

  /** The cashier page for an order (what wx.requestPayment would show). */
  cashierUrl(q: { prepay_id?: string; code_url?: string; openid?: string; return_url?: string }): string {
    const params = new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => !!e[1]));
    return `${this.baseUrl}/__sandbox/cashier?${params}`;
  }

  async healthy(): Promise<boolean> {
    const res = await fetchJson(`${this.baseUrl}/healthz`).catch(() => null);
    return res?.status === 200;
  }
}
