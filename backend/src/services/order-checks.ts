/**
 * What happens to an order between prepay and a final state when no notify comes: WeChat is asked
 * about it (a payment check), and when it expires it is closed at WeChat first, then locally. The
 * job engine runs these per order (a check ~30 s after prepay, then backing off; one expiry job);
 * the sweeper runs the same functions as a slow safety net. Every change goes through settle or
 * transition.
 */
import { isPayable } from "@minipay/shared";
import type { OrderRecord, Repos } from "../db/repositories";
import { isWechatCode } from "../wechat/common";
import type { PaymentOrders } from "../wechat/ports";
import type { MerchantIdentity, ServiceDeps } from "./deps";
import { settle } from "./settle";
import { openTradeNumbers } from "./trade-numbers";
import { releaseStock, transition, type EventSource } from "./transition";

export const CHECK_QUEUE = "payment-check";
export const EXPIRY_QUEUE = "order-expiry";

/** WeChat may refuse to close an order younger than this (docs/wechatpay-spec.md §2.5). */
export const CLOSE_MIN_AGE_MS = 5 * 60_000;

/** What checks need of a merchant: who it is, and the two calls they make. */
export interface CheckedMerchant extends MerchantIdentity {
  gateway: Pick<PaymentOrders, "queryOrder" | "closeOrder">;
}

/**
 * Close one number at WeChat. "Does not exist" counts as closed: a number whose prepay failed was
 * never created there (a prepay still in flight for it is refused when it is stored, see payments).
 */
export async function closeAtWechat(
  m: { gateway: Pick<PaymentOrders, "closeOrder"> },
  outTradeNo: string,
): Promise<"closed" | "already_paid" | "already_closed"> {
  try {
    return await m.gateway.closeOrder(outTradeNo);
  } catch (err) {
    if (isWechatCode(err, "ORDERNOTEXIST", "ORDER_NOT_EXIST")) return "already_closed";
    throw err;
  }
}

/** Ask WeChat about one number and apply the answer; false when WeChat could not be asked. */
export async function queryAndSettle(
  deps: ServiceDeps,
  m: CheckedMerchant,
  outTradeNo: string,
  source: EventSource,
): Promise<boolean> {
  try {
    const facts = await m.gateway.queryOrder(outTradeNo);
    if (facts) await settle(deps, m, facts, source);
    return true;
  } catch (err) {
    deps.logger.warn({ err: (err as Error)?.message, outTradeNo, merchant: m.id }, "order query failed");
    return false;
  }
}

/**
 * Close every open WeChat number of an expired order, then expire it here and give its stock back.
 * "paid" when WeChat says a number was paid (settled instead), "retry" when a close failed.
 */
export async function closeAndExpire(
  deps: ServiceDeps,
  m: CheckedMerchant,
  o: OrderRecord,
  source: EventSource,
): Promise<"expired" | "paid" | "retry" | "noop"> {
  let outcome: "expired" | "paid" | "retry" = "expired";
  if (o.state === "paying")
    for (const no of await openTradeNumbers(deps, o)) {
      let closed;
      try {
        closed = await closeAtWechat(m, no);
      } catch (err) {
        deps.logger.warn(
          { err: (err as Error)?.message, outTradeNo: no },
          "close at WeChat failed; retried later",
        );
        outcome = "retry";
        continue;
      }
      if (closed === "already_paid") {
        await queryAndSettle(deps, m, no, source);
        outcome = "paid";
      } else await deps.db.repos.tradeNumbers.markClosed(o.merchantId, no, deps.now());
    }
  if (outcome !== "expired") return outcome;
  const moved = await deps.db.transaction(async (r) => {
    // SKIP LOCKED: another instance expiring it (or a notify settling it) wins.
    const row = await r.orders.lock(o.merchantId, o.id, { skipLocked: true });
    if (!row || !isPayable(row.state)) return false;
    if (!(await transition(r, row, "expired", source))) return false;
    await releaseStock(r, row.id);
    return true;
  });
  return moved ? "expired" : "noop";
}

export interface CheckJob {
  orderId: string;
  merchantId: string;
  outTradeNo: string;
  step: number;
}
export interface ExpiryJob {
  orderId: string;
  merchantId: string;
}

/**
 * Inside the transaction that sent a number to WeChat: its first check, and the order's expiry
 * (never before WeChat lets the number be closed).
 */
export async function scheduleChecks(
  r: Repos,
  a: { orderId: string; merchantId: string; outTradeNo: string; expiresAt: Date },
  now: Date,
  scheduleSeconds: readonly number[],
): Promise<void> {
  const first: CheckJob = { orderId: a.orderId, merchantId: a.merchantId, outTradeNo: a.outTradeNo, step: 0 };
  const expiry: ExpiryJob = { orderId: a.orderId, merchantId: a.merchantId };
  await r.jobs.enqueueAll([
    {
      queue: CHECK_QUEUE,
      data: first,
      startAfter: new Date(now.getTime() + scheduleSeconds[0]! * 1000),
      singletonKey: `check:${a.outTradeNo}:0`,
    },
    {
      queue: EXPIRY_QUEUE,
      data: expiry,
      startAfter: new Date(Math.max(a.expiresAt.getTime(), now.getTime() + CLOSE_MIN_AGE_MS)),
      singletonKey: `expire:${a.orderId}`,
    },
  ]);
}

/** The job handlers. */
export class OrderJobs {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly merchantById: (id: string) => Promise<CheckedMerchant | null>,
    private readonly scheduleSeconds: readonly number[],
    private readonly send: (
      queue: string,
      data: object,
      opts: { startAfter: Date; singletonKey: string },
    ) => Promise<void>,
  ) {}

  private async load(orderId: string, merchantId: string) {
    const order = await this.deps.db.repos.orders.byId(merchantId, orderId);
    if (!order || !isPayable(order.state)) return null; // settled meanwhile: nothing to do
    const m = await this.merchantById(merchantId);
    if (!m) {
      this.deps.logger.error({ merchant: merchantId }, "order belongs to a merchant with no credentials");
      return null;
    }
    return { order, m };
  }

  /** One step: ask WeChat about this number once, then schedule the next step while it can still be paid. */
  async check(job: CheckJob): Promise<void> {
    const found = await this.load(job.orderId, job.merchantId);
    if (!found) return;
    const now = this.deps.now();
    if (found.order.expiresAt <= now) return; // the expiry job owns it from here
    // A failed query is not retried within the step: WeChat sees at most one query per step.
    await queryAndSettle(this.deps, found.m, job.outTradeNo, "check");
    const after = await this.deps.db.repos.orders.byId(job.merchantId, job.orderId);
    if (!after || !isPayable(after.state)) return;
    const step = job.step + 1;
    const delay = this.scheduleSeconds[Math.min(step, this.scheduleSeconds.length - 1)]! * 1000;
    const at = new Date(now.getTime() + delay);
    if (at >= after.expiresAt) return;
    await this.send(CHECK_QUEUE, { ...job, step } satisfies CheckJob, {
      startAfter: at,
      singletonKey: `check:${job.outTradeNo}:${step}`,
    });
  }

  /** Close at WeChat, then expire here; a failed close throws so the engine retries with backoff. */
  async expire(job: ExpiryJob): Promise<void> {
    const found = await this.load(job.orderId, job.merchantId);
    if (!found) return;
    if (found.order.expiresAt > this.deps.now()) {
      // Early (clocks differ, or the order's expiry moved): come back when it is due.
      await this.send(EXPIRY_QUEUE, job, {
        startAfter: found.order.expiresAt,
        singletonKey: `expire:${job.orderId}`,
      });
      return;
    }
    if ((await closeAndExpire(this.deps, found.m, found.order, "check")) === "retry")
      throw new Error(`order ${job.orderId}: close at WeChat failed`);
  }
}
