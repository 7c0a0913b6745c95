/**
 * The sweeper: notifies get lost, so orders still "paying" are asked about (orderquery) after a
 * minute, and orders past their expiry are closed at WeChat and then locally. One pass serves every
 * merchant, each order with the credentials of the merchant it was made with. Every change goes
 * through settle / transition, the same paths as notify and verify. Local expiry claims rows with
 * SKIP LOCKED so two backend processes never expire the same order at once.
 */
import { isPayable } from "@minipay/shared";
import type { PaymentOrders } from "../wechat/ports";
import type { OrderRecord } from "../db/repositories";
import type { MerchantIdentity, ServiceDeps } from "./deps";
import { openTradeNumbers } from "./trade-numbers";
import { settle } from "./settle";
import { releaseStock, transition } from "./transition";

/** What the sweeper needs of a merchant: who it is, and the two calls it makes. */
export interface SweptMerchant extends MerchantIdentity {
  gateway: Pick<PaymentOrders, "queryOrder" | "closeOrder">;
}

export class Sweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly merchantById: (id: string) => Promise<SweptMerchant | null>,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      if (!this.running)
        this.running = this.runOnce()
          .then(() => undefined)
          .catch((err) => this.deps.logger.error({ err: (err as Error)?.message }, "sweep failed"))
          .finally(() => (this.running = null));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Ask WeChat about one order and settle; a failure is logged and retried on the next pass. */
  private async check(m: SweptMerchant, outTradeNo: string): Promise<void> {
    try {
      const facts = await m.gateway.queryOrder(outTradeNo);
      if (facts) await settle(this.deps, m, facts, "sweeper");
    } catch (err) {
      this.deps.logger.warn(
        { err: (err as Error)?.message, outTradeNo, merchant: m.id },
        "sweeper query failed",
      );
    }
  }

  /**
   * Close every WeChat number of the order that is still open, before the order expires here.
   * false when it must not expire now: a close failed (next pass retries) or WeChat says paid.
   */
  private async closeAll(m: SweptMerchant, o: OrderRecord): Promise<boolean> {
    let expire = true;
    for (const no of await openTradeNumbers(this.deps, o)) {
      let closed;
      try {
        closed = await m.gateway.closeOrder(no);
      } catch (err) {
        this.deps.logger.warn(
          { err: (err as Error)?.message, outTradeNo: no },
          "close at WeChat failed; next pass retries",
        );
        expire = false;
        continue;
      }
      if (closed === "already_paid") {
        await this.check(m, no);
        expire = false;
      } else await this.deps.db.repos.tradeNumbers.markClosed(o.merchantId, no, this.deps.now());
    }
    return expire;
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
      for (const no of await openTradeNumbers(this.deps, o)) await this.check(m, no);
      queried++;
    }
    // 2. Expired orders: close at WeChat first (it may say "already paid"), then expire locally.
    for (const o of await db.repos.orders.dueForExpiry(now, limit)) {
      const m = await merchant(o.merchantId);
      if (!m) continue;
      if (o.state === "paying" && !(await this.closeAll(m, o))) continue;
      await db.transaction(async (r) => {
        const row = await r.orders.lock(o.merchantId, o.id, { skipLocked: true });
        if (!row || !isPayable(row.state)) return;
        if (await transition(r, row, "expired", "sweeper")) {
          await releaseStock(r, row.id);
          expired++;
        }
      });
    }
    return { queried, expired };
  }
}
