/**
 * The sweeper: notifies get lost, so orders still "paying" are asked about (orderquery) after a
 * minute, and orders past their expiry are closed at WeChat and then locally. Every change goes
 * through settle / transition, the same paths as notify and verify. Claims rows with SKIP LOCKED
 * so two backend processes never sweep the same order at once.
 */
import type { PaymentGateway } from "../wechat/types";
import type { ServiceDeps } from "./deps";
import { releaseStock, settle, type MerchantIdentity } from "./settle";
import { transition } from "./transition";

export class Sweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly gateway: () => PaymentGateway,
    private readonly merchant: () => MerchantIdentity,
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

  /** One pass; returns what it did (for tests and logs). */
  async runOnce(limit = 50): Promise<{ queried: number; expired: number }> {
    const now = this.deps.now();
    const gw = this.gateway();
    const m = this.merchant();
    let queried = 0;
    let expired = 0;
    // 1. Paying orders older than a minute: ask WeChat (lost notify recovery).
    const pending = await this.deps.ds.query(
      `SELECT out_trade_no FROM orders WHERE merchant_id = $1 AND state = 'paying' AND updated_at < $2 AND expires_at > $3
       ORDER BY updated_at LIMIT $4`,
      [m.id, new Date(now.getTime() - 60_000), now, limit],
    );
    for (const p of pending) {
      const facts = await gw.queryOrder(p.out_trade_no).catch(() => null);
      if (facts) await settle(this.deps, m, facts, "sweeper");
      queried++;
    }
    // 2. Expired orders: close at WeChat first (it may say "already paid"), then expire locally.
    const due = await this.deps.ds.query(
      `SELECT id, state, out_trade_no FROM orders WHERE merchant_id = $1 AND state IN ('created','paying') AND expires_at <= $2
       ORDER BY expires_at LIMIT $3`,
      [m.id, now, limit],
    );
    for (const o of due) {
      if (o.state === "paying") {
        let closed;
        try {
          closed = await gw.closeOrder(o.out_trade_no);
        } catch {
          continue; // try again next pass
        }
        if (closed === "already_paid") {
          const facts = await gw.queryOrder(o.out_trade_no).catch(() => null);
          if (facts) await settle(this.deps, m, facts, "sweeper");
          continue;
        }
      }
      await this.deps.ds.transaction(async (em) => {
        const [row] = await em.query(`SELECT id, state FROM orders WHERE id = $1 FOR UPDATE SKIP LOCKED`, [
          o.id,
        ]);
        if (!row || (row.state !== "created" && row.state !== "paying")) return;
        if (await transition(em, row, "expired", "sweeper")) {
          await releaseStock(em, row.id);
          expired++;
        }
      });
    }
    return { queried, expired };
  }
}
