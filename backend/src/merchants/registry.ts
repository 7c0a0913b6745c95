/**
 * The merchant registry: one MerchantContext per merchant (ids, gateway, code2Session client,
 * notify URLs, client config), built from the sealed row and cached until the row changes. Every
 * request finds its merchant here first: from the session, the notify URL or the login's appid.
 */
import type { ClientConfig } from "@minipay/shared";
import { AppError } from "../domain/errors";
import type { MerchantsRepo } from "../db/repositories/merchants";
import type { MerchantRow } from "../db/repositories";
import type { SecretBox } from "../security/secret-box";
import type { PaymentGateway, WechatAuth } from "../wechat/types";
import { openSecrets, type MerchantSecrets } from "./secrets";

export interface MerchantContext {
  readonly id: string;
  readonly name: string;
  readonly appid: string;
  readonly mchid: string;
  readonly apiVersion: "v2" | "v3";
  /** No longer configured: serves its existing orders, takes no new shoppers. */
  readonly disabled: boolean;
  readonly gateway: PaymentGateway;
  readonly auth: WechatAuth;
  notifyUrl(kind: "pay" | "refund"): string;
  readonly client: ClientConfig;
}

export interface MerchantRegistry {
  /** Any merchant, enabled or not (its orders still need its credentials). */
  byId(id: string): Promise<MerchantContext | null>;
  /** The enabled merchant of a mini-program; without an appid, the only one. APP_UNKNOWN otherwise. */
  forApp(appid: string | undefined): Promise<MerchantContext>;
  all(): Promise<MerchantContext[]>;
  /** The oldest merchant: the legacy /notify/wechat/{v2,v3}/pay URLs (given to WeChat before
   * merchant ids were in the path) belong to it. */
  legacy(): Promise<MerchantContext | null>;
}

export interface AdapterFactory {
  gateway(secrets: MerchantSecrets): PaymentGateway;
  auth(secrets: MerchantSecrets): WechatAuth;
}

export function createMerchantRegistry(o: {
  repo: MerchantsRepo;
  box: SecretBox;
  adapters: AdapterFactory;
  publicBaseUrl: () => string;
  /** How long the list of rows is trusted before it is read again. */
  refreshMs?: number;
  now?: () => number;
}): MerchantRegistry {
  const refreshMs = o.refreshMs ?? 5000;
  const now = o.now ?? Date.now;
  let rows: MerchantRow[] = [];
  let readAt = -Infinity;
  let reading: Promise<MerchantRow[]> | null = null;
  const contexts = new Map<string, MerchantContext>();

  const load = (force = false): Promise<MerchantRow[]> => {
    // An unknown id forces a read, but at most once a second, so forged notify URLs cannot hammer the table.
    const age = now() - readAt;
    if (age < refreshMs && !(force && age >= 1000)) return Promise.resolve(rows);
    reading ??= o.repo
      .list()
      .then((r) => {
        rows = r;
        readAt = now();
        return r;
      })
      .finally(() => (reading = null));
    return reading;
  };

  const build = (row: MerchantRow): MerchantContext => {
    const key = `${row.id}@${row.updatedAt.getTime()}@${row.disabledAt ? 1 : 0}`;
    const cached = contexts.get(key);
    if (cached) return cached;
    for (const k of contexts.keys()) if (k.startsWith(`${row.id}@`)) contexts.delete(k);
    const secrets = openSecrets(o.box, row.credentialsSealed);
    const sandboxUrl = row.sandboxUrl ?? secrets.sandboxUrl ?? null;
    const ctx: MerchantContext = {
      id: row.id,
      name: row.name,
      appid: row.appid,
      mchid: row.mchid,
      apiVersion: row.apiVersion,
      disabled: row.disabledAt !== null,
      gateway: o.adapters.gateway(secrets),
      auth: o.adapters.auth(secrets),
      notifyUrl: (kind) => `${o.publicBaseUrl()}/notify/wechat/${row.id}/${row.apiVersion}/${kind}`,
      client: { appid: row.appid, sandboxUrl, paymentMethods: ["jsapi", "native"] },
    };
    contexts.set(key, ctx);
    return ctx;
  };

  return {
    async byId(id) {
      let row = (await load()).find((r) => r.id === id);
      if (!row) row = (await load(true)).find((r) => r.id === id);
      return row ? build(row) : null;
    },
    async forApp(appid) {
      const enabled = (await load()).filter((r) => !r.disabledAt);
      const row =
        appid === undefined
          ? enabled.length === 1
            ? enabled[0]
            : undefined
          : enabled.find((r) => r.appid === appid);
      if (!row)
        throw new AppError(
          "APP_UNKNOWN",
          undefined,
          appid === undefined
            ? { field: "appid", rule: "required: this backend serves several mini-programs" }
            : { field: "appid" },
        );
      return build(row);
    },
    async all() {
      return (await load()).map(build);
    },
    async legacy() {
      const first = (await load())[0];
      return first ? build(first) : null;
    },
  };
}
