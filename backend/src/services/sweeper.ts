/**
 * The sweeper: a slow safety net under the per-order jobs (order-checks.ts). It finds orders still
 * "paying" a minute after their last change and asks WeChat about them, and orders past their
 * expiry, closed at WeChat first and then locally. It catches what no job covers: orders placed
 * before jobs existed, or jobs lost with a database restore. One pass serves every merchant, each
 * order with the credentials of the merchant it was made with.
 */
import type { ServiceDeps } from "./deps";
import { Periodic } from "./periodic";
import { closeAndExpire, queryAndSettle, type CheckedMerchant } from "./order-checks";
import { allTradeNumbers } from "./trade-numbers";

export type SweptMerchant = CheckedMerchant;

export class Sweeper {
  private readonly periodic = new Periodic("sweep", this.deps.logger, () => this.runOnce());

  constructor(
    private readonly deps: ServiceDeps,
    private readonly merchantById: (id: string) => Promise<SweptMerchant | null>,
  ) {}

  start(intervalMs: number): void {
    this.periodic.start(intervalMs);
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  /** One pass over every merchant; returns what it did (for tests and logs). */
  async runOnce(limit = 50): Promise<{ queried: number; expired: number }> {
    const now = this.deps.now();
    const { db, logger } = this.deps;
    let queried = 0;
    let expired = 0;
    const merchants = new Map<string, SweptMerchant | null>();
    const merchant = async (id: string) => {
      if (!merchants.has(id)) merchants.set(id, await this.merchantById(id));
      const m = merchants.get(id) ?? null;
      if (!m) logger.error({ merchant: id }, "order belongs to a merchant with no credentials");
      return m;
    };

    // 1. Paying orders older than a minute: ask WeChat (lost notify recovery).
    for (const o of await db.repos.orders.payingSince(new Date(now.getTime() - 60_000), now, limit)) {
      const m = await merchant(o.merchantId);
      if (!m) continue;
      // Every number, closed ones too: a payment that raced a close is still found.
      for (const no of await allTradeNumbers(this.deps, o)) await queryAndSettle(this.deps, m, no, "sweeper");
      queried++;
    }
    // 2. Expired orders: close at WeChat first (it may say "already paid"), then expire locally.
    for (const o of await db.repos.orders.dueForExpiry(now, limit)) {
      const m = await merchant(o.merchantId);
      if (!m) continue;
      if ((await closeAndExpire(this.deps, m, o, "sweeper")) === "expired") expired++;
    }
    return { queried, expired };
  }
}
