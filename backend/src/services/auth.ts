/**
 * Login: code2Session → user upsert → our own opaque token. The token is 256 random bits; only its
 * SHA-256 is stored. session_key stays here, sealed at rest, and is never returned or logged. A
 * user belongs to the merchant whose mini-program they logged in to; the session carries it.
 */
import crypto from "node:crypto";
import type { SessionResponse } from "@minipay/shared";
import { clientKey } from "../domain/client-key";
import { AppError } from "../domain/errors";
import { openidHint } from "../logger";
import type { SecretBox } from "../security/secret-box";
import type { WechatAuth } from "../wechat/types";
import type { ServiceDeps } from "./deps";
import type { RateLimiter, RateRule } from "./rate-limit";
import { mapLoginError } from "./upstream-errors";

export interface AuthedUser {
  id: string;
  merchantId: string;
  appid: string;
  openid: string;
  openidHint: string;
  sessionId: string;
}

export interface AuthOptions {
  idleMinutes: number;
  maxDays: number;
  hintKey: Buffer;
  /** Logins allowed per client address, and per mini-program (each login costs one code2Session). */
  perClient: RateRule;
  perApp: RateRule;
}

/** What login needs of a merchant: its id and its mini-program's code2Session client. */
export interface LoginMerchant {
  id: string;
  auth: WechatAuth;
}

const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

/**
 * ASSUMPTION: a wx.login code is a short URL-safe string. WeChat documents no format; the codes
 * seen in the wild are 32 characters of [A-Za-z0-9] (the sandbox issues the same). We accept 8–128
 * of [A-Za-z0-9_.~-] and refuse the rest before it costs a database write or a code2Session call.
 */
export const LOGIN_CODE_RE = /^[A-Za-z0-9_.~-]{8,128}$/;

export class AuthService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly box: SecretBox,
    private readonly opts: AuthOptions,
    private readonly limiter: RateLimiter,
  ) {}

  /** `client` is the caller's address: the per-client limit is counted against it (its /64 for IPv6, hashed). */
  async login(m: LoginMerchant, code: string, client: string): Promise<SessionResponse> {
    const { users } = this.deps.db.repos;
    // Limits first (a flood of garbage is counted too), then the shape of the code, then the
    // app's budget: only plausible codes spend it, and only they can reach WeChat.
    await this.limiter.take(this.opts.perClient, clientKey(client));
    if (!LOGIN_CODE_RE.test(code)) throw new AppError("LOGIN_CODE_INVALID");
    await this.limiter.take(this.opts.perApp, m.auth.appid);
    // A code is exchanged at most once: remember its hash before asking WeChat, so a replayed code
    // never reaches WeChat (and a concurrent replay loses the primary-key race).
    const codeHash = sha256(`${m.auth.appid}:${code}`);
    if (!(await users.claimLoginCode(codeHash))) throw new AppError("LOGIN_CODE_USED");

    let result;
    try {
      result = await m.auth.code2Session(code);
    } catch (err) {
      const { error, retryable } = mapLoginError(err);
      // Busy or unreachable: WeChat did not consume the code, so the shopper may retry with it.
      if (retryable) await users.releaseLoginCode(codeHash);
      if (error.code === "UPSTREAM_ERROR")
        this.deps.logger.error({ err: (err as Error).message }, "code2Session failed");
      throw error;
    }

    const userId = await users.upsert({
      merchantId: m.id,
      appid: m.auth.appid,
      openid: result.openid,
      unionid: result.unionid,
      sessionKeySealed: this.box.seal(result.sessionKey),
    });
    const token = this.deps.randomBytes(32).toString("base64url");
    const now = this.deps.now();
    const expiresAt = new Date(now.getTime() + this.opts.maxDays * 86400_000);
    await users.createSession(userId, sha256(token), now, expiresAt);
    const hint = openidHint(result.openid, this.opts.hintKey);
    this.deps.logger.info({ user: hint, merchant: m.id }, "login");
    return { token, expiresAt: expiresAt.toISOString(), user: { id: userId, openidHint: hint } };
  }

  /** Bearer token → user, enforcing idle and absolute expiry. */
  async authenticate(token: string | null): Promise<AuthedUser> {
    if (!token || token.length > 200) throw new AppError("UNAUTHENTICATED");
    const { users } = this.deps.db.repos;
    const s = await users.sessionByTokenHash(sha256(token));
    // A user whose app no merchant serves any more cannot act (no merchant to scope them to).
    if (!s || s.revokedAt || !s.merchantId) throw new AppError("UNAUTHENTICATED");
    const now = this.deps.now();
    const idleLimit = new Date(s.lastSeenAt.getTime() + this.opts.idleMinutes * 60_000);
    if (now >= s.expiresAt || now >= idleLimit) throw new AppError("SESSION_EXPIRED");
    // Touch at most once a minute to keep writes off the hot path.
    if (now.getTime() - s.lastSeenAt.getTime() > 60_000) await users.touchSession(s.sessionId, now);
    return {
      id: s.userId,
      merchantId: s.merchantId,
      appid: s.appid,
      openid: s.openid,
      openidHint: openidHint(s.openid, this.opts.hintKey),
      sessionId: s.sessionId,
    };
  }
}
