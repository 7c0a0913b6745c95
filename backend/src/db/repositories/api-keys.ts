/**
 * Admin API keys. Only the SHA-256 of a key is stored (`secret_hash`) with a short visible prefix;
 * a key is found by its hash, so the secret itself never reaches the database or a log line.
 */
import { returningRows, type Manager } from "./rows";
import type { ApiKeyRecord } from "./types";

interface Row {
  id: string;
  merchant_id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = `id, merchant_id, name, prefix, scopes, created_at, last_used_at, revoked_at`;

const toKey = (r: Row): ApiKeyRecord => ({
  id: r.id,
  merchantId: r.merchant_id,
  name: r.name,
  prefix: r.prefix,
  scopes: r.scopes,
  createdAt: new Date(r.created_at),
  lastUsedAt: r.last_used_at ? new Date(r.last_used_at) : null,
  revokedAt: r.revoked_at ? new Date(r.revoked_at) : null,
});

export interface NewApiKey {
  merchantId: string;
  name: string;
  prefix: string;
  secretHash: string;
  scopes: string[];
  now: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class ApiKeysRepo {
  constructor(private readonly m: Manager) {}

  async insert(k: NewApiKey): Promise<ApiKeyRecord> {
    const rows: Row[] = await this.m.query(
      `INSERT INTO api_keys (merchant_id, name, prefix, secret_hash, scopes, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [k.merchantId, k.name, k.prefix, k.secretHash, k.scopes, k.now],
    );
    return toKey(rows[0]!);
  }

  /** Any merchant's key by the hash of its secret (authentication only). */
  async byHash(secretHash: string): Promise<ApiKeyRecord | null> {
    const rows: Row[] = await this.m.query(`SELECT ${COLUMNS} FROM api_keys WHERE secret_hash = $1`, [
      secretHash,
    ]);
    return rows[0] ? toKey(rows[0]) : null;
  }

  /** One of this merchant's keys, locked for the caller's transaction. */
  async lock(merchantId: string, id: string): Promise<ApiKeyRecord | null> {
    if (!UUID.test(id)) return null;
    const rows: Row[] = await this.m.query(
      `SELECT ${COLUMNS} FROM api_keys WHERE merchant_id = $1 AND id = $2 FOR UPDATE`,
      [merchantId, id],
    );
    return rows[0] ? toKey(rows[0]) : null;
  }

  /** A key by id alone: only the operator's CLI, which serves every merchant, asks this. */
  async byIdAnyMerchant(id: string): Promise<ApiKeyRecord | null> {
    if (!UUID.test(id)) return null;
    const rows: Row[] = await this.m.query(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
    return rows[0] ? toKey(rows[0]) : null;
  }

  /** This merchant's keys (all merchants' when null: the CLI), oldest first, revoked ones included. */
  async list(merchantId: string | null): Promise<ApiKeyRecord[]> {
    const rows: Row[] = await this.m.query(
      `SELECT ${COLUMNS} FROM api_keys WHERE ($1::text IS NULL OR merchant_id = $1)
       ORDER BY created_at, id`,
      [merchantId],
    );
    return rows.map(toKey);
  }

  async revoke(merchantId: string, id: string, now: Date): Promise<ApiKeyRecord | null> {
    const res = await this.m.query(
      `UPDATE api_keys SET revoked_at = $3 WHERE merchant_id = $1 AND id = $2 AND revoked_at IS NULL
       RETURNING ${COLUMNS}`,
      [merchantId, id, now],
    );
    const rows = returningRows<Row>(res);
    return rows[0] ? toKey(rows[0]) : null;
  }

  /** Record use, at most once a minute per key (a no-op write otherwise). */
  async touch(id: string, now: Date): Promise<void> {
    await this.m.query(
      `UPDATE api_keys SET last_used_at = $2
       WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '1 minute')`,
      [id, now],
    );
  }

  /** Whether any key was ever made (revoked ones count): the first start makes one, later starts do not. */
  async anyEver(): Promise<boolean> {
    const rows: { n: number }[] = await this.m.query(`SELECT count(*)::int AS n FROM api_keys`);
    return (rows[0]?.n ?? 0) > 0;
  }

  /** Inside a transaction: serialise the first-start key between instances booting together. */
  async lockBootstrap(): Promise<void> {
    await this.m.query(`SELECT pg_advisory_xact_lock(hashtext('minipay:bootstrap-admin-key'))`);
  }
}
