/**
 * Merchant rows: public identifiers in columns, credentials sealed under the master key. A merchant
 * is never deleted or re-keyed: its orders must always be served with its own credentials.
 */
import { returningRows, type Manager } from "./rows";
import type { MerchantRow } from "./types";

interface Row {
  id: string;
  name: string | null;
  source: string;
  api_version: "v2" | "v3";
  appid: string;
  mchid: string;
  credentials_sealed: string;
  sandbox_url: string | null;
  disabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const toMerchant = (r: Row): MerchantRow => ({
  id: r.id,
  name: r.name ?? r.mchid,
  source: r.source,
  apiVersion: r.api_version,
  appid: r.appid,
  mchid: r.mchid,
  credentialsSealed: r.credentials_sealed,
  sandboxUrl: r.sandbox_url,
  disabledAt: r.disabled_at ? new Date(r.disabled_at) : null,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

export type MerchantUpsert = Pick<
  MerchantRow,
  "id" | "name" | "source" | "apiVersion" | "appid" | "mchid" | "credentialsSealed" | "sandboxUrl"
>;

export class MerchantsRepo {
  constructor(private readonly m: Manager) {}

  /** Every merchant, the oldest first (the first one answers the legacy notify URLs). */
  async list(): Promise<MerchantRow[]> {
    const rows: Row[] = await this.m.query(`SELECT * FROM merchants ORDER BY created_at, id`);
    return rows.map(toMerchant);
  }

  async byId(id: string): Promise<MerchantRow | null> {
    const rows: Row[] = await this.m.query(`SELECT * FROM merchants WHERE id = $1`, [id]);
    return rows[0] ? toMerchant(rows[0]) : null;
  }

  /** Insert or refresh; re-enables a merchant that comes back. `updated_at` moves only when something changed. */
  async upsert(u: MerchantUpsert): Promise<void> {
    await this.m.query(
      `INSERT INTO merchants (id, name, source, api_version, appid, mchid, credentials_sealed, sandbox_url)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, source = EXCLUDED.source,
         api_version = EXCLUDED.api_version, appid = EXCLUDED.appid,
         credentials_sealed = EXCLUDED.credentials_sealed, sandbox_url = EXCLUDED.sandbox_url,
         disabled_at = NULL, updated_at = now()
       WHERE merchants.credentials_sealed IS DISTINCT FROM EXCLUDED.credentials_sealed
          OR merchants.disabled_at IS NOT NULL OR merchants.name IS DISTINCT FROM EXCLUDED.name
          OR merchants.appid IS DISTINCT FROM EXCLUDED.appid OR merchants.sandbox_url IS DISTINCT FROM EXCLUDED.sandbox_url`,
      [u.id, u.name, u.source, u.apiVersion, u.appid, u.mchid, u.credentialsSealed, u.sandboxUrl],
    );
  }

  /** Disable every enabled merchant not in `keep` (it left the configuration); returns their ids. */
  async disableAllExcept(keep: string[]): Promise<string[]> {
    const res = await this.m.query(
      `UPDATE merchants SET disabled_at = now(), updated_at = now()
       WHERE disabled_at IS NULL AND NOT (id = ANY($1)) RETURNING id`,
      [keep],
    );
    return returningRows<{ id: string }>(res).map((r) => r.id);
  }
}
