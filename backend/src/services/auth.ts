/**
 * Login: code2Session → user upsert → our own opaque token. The token is 256 random bits; only its
 * SHA-256 is stored. session_key stays here, sealed at rest, and is never returned or logged.
 */
import crypto from "node:crypto";
import type { SessionResponse } from "@minipay/shared";
import { AppError } from "../domain/errors";
import { openidHint } from "../logger";
import type { SecretBox } from "../security/secret-box";
import { WechatLoginError, WechatUpstreamError } from "../wechat/errors";
import type { WechatAuth } from "../wechat/types";
import type { ServiceDeps } from "./deps";

export interface AuthedUser {
  id: string;
  appid: string;
  openid: string;
  openidHint: string;
  sessionId: string;
}

export interface AuthOptions {
  idleMinutes: number;
  maxDays: number;
  hintKey: Buffer;
}

const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

export class AuthService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly wechat: WechatAuth,
    private readonly box: SecretBox,
    private readonly opts: AuthOptions,
  ) {}

  async login(code: string): Promise<SessionResponse> {
    // A code is exchanged at most once: remember its hash before asking WeChat, so a replayed code
    // never reaches WeChat (and a concurrent replay loses the primary-key race).
    const codeHash = sha256(`${this.wechat.appid}:${code}`);
    const ins = await this.deps.ds.query(
      `INSERT INTO login_codes (code_hash) VALUES ($1) ON CONFLICT DO NOTHING RETURNING code_hash`,
      [codeHash],
    );
    if (ins.length === 0) throw new AppError("LOGIN_CODE_USED");

    let result;
    try {
      result = await this.wechat.code2Session(code);
    } catch (err) {
      if (err instanceof WechatLoginError) {
        if (err.errcode === 40029) throw new AppError("LOGIN_CODE_INVALID");
        if (err.errcode === 40163) throw new AppError("LOGIN_CODE_USED");
        if (err.errcode === 40226) throw new AppError("LOGIN_BLOCKED");
        if (err.errcode === 45011 || err.errcode === -1) {
          // Busy: let the shopper retry with a fresh code.
          await this.deps.ds.query(`DELETE FROM login_codes WHERE code_hash = $1`, [codeHash]);
          throw new AppError("WECHAT_BUSY", undefined, undefined, {
            "Retry-After": err.errcode === 45011 ? "60" : "2",
          });
        }
        this.deps.logger.error({ errcode: err.errcode }, "code2Session failed");
        throw new AppError("UPSTREAM_ERROR");
      }
      if (err instanceof WechatUpstreamError) {
        await this.deps.ds.query(`DELETE FROM login_codes WHERE code_hash = $1`, [codeHash]);
        throw new AppError("UPSTREAM_UNAVAILABLE", undefined, undefined, { "Retry-After": "2" });
      }
      throw err;
    }

    const sealedKey = this.box.seal(result.sessionKey);
    const users = await this.deps.ds.query(
      `INSERT INTO users (appid, openid, unionid, session_key_sealed) VALUES ($1, $2, $3, $4)
       ON CONFLICT (appid, openid) DO UPDATE SET session_key_sealed = EXCLUDED.session_key_sealed,
         unionid = COALESCE(EXCLUDED.unionid, users.unionid), updated_at = now()
       RETURNING id`,
      [this.wechat.appid, result.openid, result.unionid, sealedKey],
    );
    const userId: string = users[0].id;
    const token = this.deps.randomBytes(32).toString("base64url");
    const now = this.deps.now();
    const expiresAt = new Date(now.getTime() + this.opts.maxDays * 86400_000);
    await this.deps.ds.query(
      `INSERT INTO sessions (user_id, token_hash, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)`,
      [userId, sha256(token), now, expiresAt],
    );
    const hint = openidHint(result.openid, this.opts.hintKey);
    this.deps.logger.info({ user: hint }, "login");
    return { token, expiresAt: expiresAt.toISOString(), user: { id: userId, openidHint: hint } };
  }

  /** Bearer token → user, enforcing idle and absolute expiry. */
  async authenticate(token: string | null): Promise<AuthedUser> {
    if (!token || token.length > 200) throw new AppError("UNAUTHENTICATED");
    const rows = await this.deps.ds.query(
      `SELECT s.id AS session_id, s.last_seen_at, s.expires_at, s.revoked_at, u.id, u.appid, u.openid
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`,
      [sha256(token)],
    );
    const s = rows[0];
    if (!s || s.revoked_at) throw new AppError("UNAUTHENTICATED");
    const now = this.deps.now();
    const idleLimit = new Date(new Date(s.last_seen_at).getTime() + this.opts.idleMinutes * 60_000);
    if (now >= new Date(s.expires_at) || now >= idleLimit) throw new AppError("SESSION_EXPIRED");
    // Touch at most once a minute to keep writes off the hot path.
    if (now.getTime() - new Date(s.last_seen_at).getTime() > 60_000)
      await this.deps.ds.query(`UPDATE sessions SET last_seen_at = $2 WHERE id = $1`, [s.session_id, now]);
    return {
      id: s.id,
      appid: s.appid,
      openid: s.openid,
      openidHint: openidHint(s.openid, this.opts.hintKey),
      sessionId: s.session_id,
    };
  }
}
