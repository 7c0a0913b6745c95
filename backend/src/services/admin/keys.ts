/**
 * Admin API keys: `mk_` + 256 random bits (base64url). The secret is shown once, at creation; the
 * database keeps its SHA-256 (a fast hash is enough for a random 256-bit secret: there is nothing
 * to guess) and a visible prefix. Every request looks the key up again, so a revocation takes
 * effect on the next request. A key can only hand out scopes it holds itself.
 */
import crypto from "node:crypto";
import { ADMIN_SCOPES, type AdminScope, type ApiKeyCreated, type ApiKeyView } from "@minipay/shared";
import { AppError } from "../../domain/errors";
import type { ApiKeyRecord } from "../../db/repositories";
import type { ServiceDeps } from "../deps";
import { audit, type AdminActor } from "./actor";

export const KEY_PREFIX = "mk_";
const KEY_RE = /^mk_[A-Za-z0-9_-]{43}$/;

export const hashKey = (key: string): string => crypto.createHash("sha256").update(key).digest("hex");

export function keyView(k: ApiKeyRecord): ApiKeyView {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes as AdminScope[],
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}

export class ApiKeyService {
  constructor(private readonly deps: ServiceDeps) {}

  /**
   * A new key for the merchant. `grantable` is what the caller may hand out (the calling key's own
   * scopes; every scope for the operator's CLI): asking for more is FORBIDDEN.
   */
  async create(
    merchantId: string,
    req: { name: string; scopes: readonly AdminScope[] },
    actor: AdminActor,
    grantable: readonly string[] = ADMIN_SCOPES,
  ): Promise<ApiKeyCreated> {
    const beyond = req.scopes.find((s) => !grantable.includes(s));
    if (beyond) throw new AppError("FORBIDDEN", undefined, { requiredScope: beyond });
    const key = KEY_PREFIX + this.deps.randomBytes(32).toString("base64url");
    const scopes = ADMIN_SCOPES.filter((s) => req.scopes.includes(s));
    const now = this.deps.now();
    const rec = await this.deps.db.transaction(async (r) => {
      const k = await r.apiKeys.insert({
        merchantId,
        name: req.name,
        prefix: key.slice(0, KEY_PREFIX.length + 8),
        secretHash: hashKey(key),
        scopes,
        now,
      });
      await audit(r, { merchantId, actor, at: now }, "api_key.create", ["api_key", k.id], {
        before: null,
        after: { name: k.name, prefix: k.prefix, scopes: k.scopes },
      });
      return k;
    });
    return { id: rec.id, key, name: rec.name, scopes, createdAt: rec.createdAt.toISOString() };
  }

  async list(merchantId: string): Promise<ApiKeyView[]> {
    return (await this.deps.db.repos.apiKeys.list(merchantId)).map(keyView);
  }

  /** Revoke one of the merchant's keys; another merchant's (or no) key is RESOURCE_NOT_FOUND. A second
   * revoke changes nothing and writes no audit row. */
  async revoke(merchantId: string, id: string, actor: AdminActor): Promise<void> {
    const now = this.deps.now();
    await this.deps.db.transaction(async (r) => {
      const k = await r.apiKeys.lock(merchantId, id);
      if (!k) throw new AppError("RESOURCE_NOT_FOUND", undefined, { type: "api_key", id });
      if (k.revokedAt) return;
      await r.apiKeys.revoke(merchantId, id, now);
      await audit(r, { merchantId, actor, at: now }, "api_key.revoke", ["api_key", id], {
        before: { revokedAt: null },
        after: { revokedAt: now.toISOString() },
      });
    });
  }

  /** The live key a bearer token names; UNAUTHENTICATED for anything else. Notes the use (≤ once a minute). */
  async authenticate(token: string | null): Promise<ApiKeyRecord> {
    if (!token || !KEY_RE.test(token)) throw new AppError("UNAUTHENTICATED");
    const { apiKeys } = this.deps.db.repos;
    const k = await apiKeys.byHash(hashKey(token));
    if (!k || k.revokedAt) throw new AppError("UNAUTHENTICATED");
    const now = this.deps.now();
    if (!k.lastUsedAt || now.getTime() - k.lastUsedAt.getTime() >= 60_000) await apiKeys.touch(k.id, now);
    return k;
  }

  /**
   * The first start's key: every scope, for `merchantId`, only when no key was ever made (a
   * revoked one counts, so deleting keys never brings it back). null on every later start.
   */
  async bootstrap(merchantId: string, actor: AdminActor): Promise<ApiKeyCreated | null> {
    // The advisory lock serialises instances that start together: only one makes the key.
    return this.deps.db.transaction(async (r) => {
      await r.apiKeys.lockBootstrap();
      if (await r.apiKeys.anyEver()) return null;
      const key = KEY_PREFIX + this.deps.randomBytes(32).toString("base64url");
      const now = this.deps.now();
      const k = await r.apiKeys.insert({
        merchantId,
        name: "first key",
        prefix: key.slice(0, KEY_PREFIX.length + 8),
        secretHash: hashKey(key),
        scopes: [...ADMIN_SCOPES],
        now,
      });
      await audit(r, { merchantId, actor, at: now }, "api_key.create", ["api_key", k.id], {
        before: null,
        after: { name: k.name, prefix: k.prefix, scopes: k.scopes },
      });
      return { id: k.id, key, name: k.name, scopes: [...ADMIN_SCOPES], createdAt: k.createdAt.toISOString() };
    });
  }
}
