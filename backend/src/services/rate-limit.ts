/**
 * Rate limits shared by every backend process: fixed-window counters in PostgreSQL (one atomic
 * upsert per hit; a key's window starts at its first hit), so N processes behind a load balancer together allow the limit once, not N
 * times. Keys are HMACed with a key derived from the master key before they are stored: the table
 * never holds a client address, an openid or a user id in clear.
 */
import crypto from "node:crypto";
import { AppError } from "../domain/errors";
import { retryAfterSeconds } from "../domain/rate-window";
import type { ServiceDeps } from "./deps";

export interface RateRule {
  /** The counter family, e.g. "login-ip"; part of the stored key. */
  bucket: string;
  /** Hits allowed per window. */
  limit: number;
  windowSeconds: number;
}

export class RateLimiter {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly keyHmac: Buffer,
  ) {}

  private hash(bucket: string, key: string): string {
    return crypto.createHmac("sha256", this.keyHmac).update(`${bucket}\0${key}`).digest("base64url");
  }

  /** Count one hit against `key`; over the limit → RATE_LIMITED (429) with Retry-After. */
  async take(rule: RateRule, key: string): Promise<void> {
    const now = this.deps.now();
    const w = await this.deps.db.repos.rateLimits.hit(
      rule.bucket,
      this.hash(rule.bucket, key),
      now,
      rule.windowSeconds,
    );
    if (w.count > rule.limit) {
      const retryAfter = retryAfterSeconds(w.windowStart.getTime(), rule.windowSeconds * 1000, now.getTime());
      throw new AppError("RATE_LIMITED", undefined, undefined, { "Retry-After": String(retryAfter) });
    }
  }
}
