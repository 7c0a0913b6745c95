/** Shoppers, their sessions and the login codes already exchanged. Only hashes of tokens and codes are stored. */
import { returningRows, type Manager } from "./rows";
import type { SessionUser } from "./types";

export class UsersRepo {
  constructor(private readonly m: Manager) {}

  /** true when this code hash was not seen before (and is now claimed). */
  async claimLoginCode(codeHash: string): Promise<boolean> {
    const rows = await this.m.query(
      `INSERT INTO login_codes (code_hash) VALUES ($1) ON CONFLICT DO NOTHING RETURNING code_hash`,
      [codeHash],
    );
    return rows.length > 0;
  }

  /** Let a code be tried again (WeChat was busy and did not consume it). */
  async releaseLoginCode(codeHash: string): Promise<void> {
    await this.m.query(`DELETE FROM login_codes WHERE code_hash = $1`, [codeHash]);
  }

  /**
   * Inside a transaction: lock the shopper's row, so two orders from one shopper (from any process)
   * check the open-order caps one after the other.
   */
  async lockForOrder(userId: string): Promise<void> {
    // NO KEY UPDATE: serialises with itself, but not with the key-share locks of rows that
    // reference the user (a concurrent login inserting a session does not wait).
    await this.m.query(`SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE`, [userId]);
  }

  async upsert(u: {
    merchantId: string;
    appid: string;
    openid: string;
    unionid: string | null;
    sessionKeySealed: string;
  }): Promise<string> {
    const rows: { id: string }[] = await this.m.query(
      `INSERT INTO users (merchant_id, appid, openid, unionid, session_key_sealed) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (appid, openid) DO UPDATE SET session_key_sealed = EXCLUDED.session_key_sealed,
         merchant_id = EXCLUDED.merchant_id, unionid = COALESCE(EXCLUDED.unionid, users.unionid), updated_at = now()
       RETURNING id`,
      [u.merchantId, u.appid, u.openid, u.unionid, u.sessionKeySealed],
    );
    return rows[0]!.id;
  }

  async createSession(userId: string, tokenHash: string, now: Date, expiresAt: Date): Promise<void> {
    await this.m.query(
      `INSERT INTO sessions (user_id, token_hash, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)`,
      [userId, tokenHash, now, expiresAt],
    );
  }

  async sessionByTokenHash(tokenHash: string): Promise<SessionUser | null> {
    const rows: {
      session_id: string;
      last_seen_at: Date;
      expires_at: Date;
      revoked_at: Date | null;
      id: string;
      merchant_id: string | null;
      appid: string;
      openid: string;
    }[] = await this.m.query(
      `SELECT s.id AS session_id, s.last_seen_at, s.expires_at, s.revoked_at, u.id, u.merchant_id, u.appid, u.openid
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`,
      [tokenHash],
    );
    const s = rows[0];
    if (!s) return null;
    return {
      sessionId: s.session_id,
      lastSeenAt: new Date(s.last_seen_at),
      expiresAt: new Date(s.expires_at),
      revokedAt: s.revoked_at ? new Date(s.revoked_at) : null,
      userId: s.id,
      merchantId: s.merchant_id,
      appid: s.appid,
      openid: s.openid,
    };
  }

  async touchSession(sessionId: string, now: Date): Promise<void> {
    returningRows(
      await this.m.query(`UPDATE sessions SET last_seen_at = $2 WHERE id = $1`, [sessionId, now]),
    );
  }
}
