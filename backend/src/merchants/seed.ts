/**
 * Writes the configured merchants into the database at start. A merchant is keyed by its mchid, so
 * a restart with another list never hands one merchant's orders to another; a merchant that left
 * the list is disabled (no new shoppers) but keeps serving its existing orders with its own keys.
 */
import { isDeepStrictEqual } from "node:util";
import type { Db } from "../db/repositories";
import type { Logger } from "../logger";
import type { SecretBox } from "../security/secret-box";
import type { CatalogService } from "../services/catalog";
import { merchantIdFor, openSecrets, sealSecrets } from "./secrets";
import type { MerchantSeed } from "./sources";

export async function seedMerchants(
  db: Db,
  box: SecretBox,
  seeds: MerchantSeed[],
  logger: Logger,
): Promise<{ ids: string[]; disabled: string[] }> {
  const ids = seeds.map((s) => merchantIdFor(s.credentials.mchid));
  if (new Set(ids).size !== ids.length) throw new Error("two configured merchants have the same mchid");
  const appids = seeds.map((s) => s.credentials.appid);
  if (new Set(appids).size !== appids.length) throw new Error("two configured merchants have the same appid");
  const result = await db.transaction(async (r) => {
    // Disable first: a new merchant may take over an appid whose old merchant left the list.
    const disabled = await r.merchants.disableAllExcept(ids);
    for (const [i, s] of seeds.entries()) {
      const id = ids[i]!;
      const existing = await r.merchants.byId(id);
      const unchanged =
        existing &&
        !existing.disabledAt &&
        existing.name === s.name &&
        existing.appid === s.credentials.appid &&
        existing.sandboxUrl === s.sandboxUrl &&
        isDeepStrictEqual(
          stripUndefined(openSecrets(box, existing.credentialsSealed)),
          stripUndefined(secretsOf(s)),
        );
      if (unchanged) continue;
      await r.merchants.upsert({
        id,
        name: s.name,
        source: s.source,
        apiVersion: s.credentials.apiVersion,
        appid: s.credentials.appid,
        mchid: s.credentials.mchid,
        credentialsSealed: sealSecrets(box, s),
        sandboxUrl: s.sandboxUrl,
      });
    }
    return disabled;
  });
  if (result.length) logger.warn({ merchants: result }, "merchants no longer configured were disabled");
  return { ids, disabled: result };
}

/** Demo products for sandbox merchants whose catalogue is empty; real merchants get none. */
export async function seedDemoCatalogues(catalog: CatalogService, seeds: MerchantSeed[]): Promise<number> {
  let n = 0;
  for (const s of seeds) if (s.demoProducts) n += await catalog.seedDemo(merchantIdFor(s.credentials.mchid));
  return n;
}

const secretsOf = (s: MerchantSeed) => ({
  credentials: s.credentials,
  appsecret: s.appsecret,
  loginBaseUrl: s.loginBaseUrl,
});

const stripUndefined = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
