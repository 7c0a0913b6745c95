/**
 * Refunds: the merchant asks, we reserve the amount and store the refund with its out_refund_no in
 * one transaction (order row locked, so concurrent refunds of one order take turns and their sum
 * never passes what was paid), then ask WeChat outside any transaction (as payments do for prepay).
 *
 * WeChat refunds one out_refund_no once and asks that a retry keep the number (docs/wechatpay-spec.md
 * §2.6, §3.7). So a timeout, a 5xx or SYSTEMERROR leaves the refund `processing`; the refund-status job
 * (enqueued with the row) asks WeChat about that number and submits it again, with the same number,
 * only when WeChat says it does not have it. Every answer (the create call's, a notify's, a query's)
 * goes through applyRefundFacts, the one place a refund and its order change because of WeChat.
 */
import crypto from "node:crypto";
import type { AdminRefund, OrderRefund, RefundPage, RefundState } from "@minipay/shared";
import { AppError } from "../domain/errors";
import { shanghaiDay, type OurRefund, type OurRefundState } from "../domain/reconcile";
import {
  checkNewRefund,
  decideRefund,
  isFinalRefund,
  orderStateAfterRefund,
  remainingRefundable,
} from "../domain/refund-machine";
import type { OrderRecord, RefundFilter, RefundRecord, Repos } from "../db/repositories";
import {
  ClientCertificateMissingError,
  NotifyFactsInvalidError,
  WechatUpstreamError,
} from "../wechat/errors";
import type { PaymentOrders, Refunds } from "../wechat/ports";
import type { RefundFacts } from "../wechat/types";
import { audit, type AdminActor } from "./admin/actor";
import { decodeCursor, encodeCursor } from "./cursor";
import type { MerchantIdentity, ServiceDeps } from "./deps";
import { keysetPage } from "./keyset";
import { flagAnomaly } from "./settle";
import { transition, type EventSource } from "./transition";

export const REFUND_QUEUE = "refund-status";

/** Refund status checks: about a minute after the request (WeChat's advice), then backing off. */
export const DEFAULT_REFUND_CHECK_SECONDS = [60, 120, 300, 600, 1800] as const;

/** A refund still not final after this many checks is left to a person (an anomaly says so). */
export const MAX_REFUND_CHECKS = 200;

/** What refunds need of a merchant: who it is, its refund calls, and where WeChat notifies. */
export interface RefundingMerchant extends MerchantIdentity {
  gateway: Pick<Refunds, "refund" | "queryRefund"> & Pick<PaymentOrders, "queryOrder">;
  notifyUrl(kind: "pay" | "refund"): string;
}

export interface RefundJob {
  refundId: string;
  merchantId: string;
  step: number;
}

/**
 * WeChat error codes after which the same out_refund_no may still go through: ask again later
 * (docs/wechatpay-spec.md §2.6 and §3.7, refund errors). Any other business error is a refusal.
 */
const RETRYABLE_CODES = new Set([
  "SYSTEMERROR",
  "SYSTEM_ERROR",
  "BIZERR_NEED_RETRY",
  "FREQUENCY_LIMITED",
  "FREQUENCY_LIMIT_EXCEED",
  "RATELIMIT_EXCEED",
  "ORDER_NOT_READY",
]);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const IDEMPOTENCY_KEY_RE = /^[A-Za-z0-9_.:-]{8,128}$/;
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** out_refund_no: ≤ 64 of [0-9A-Za-z_-|*@], unique per merchant. Ours: "RF" + yyyyMMdd + 20 base62. */
export function newOutRefundNo(now: Date, randomBytes: (n: number) => Buffer): string {
  let tail = "";
  for (const b of randomBytes(20)) tail += ALPHABET[b % 62];
  return `RF${now.toISOString().slice(0, 10).replace(/-/g, "")}${tail}`;
}

export const refundView = (x: RefundRecord): AdminRefund => ({
  id: x.id,
  orderId: x.orderId,
  outTradeNo: x.outTradeNo,
  outRefundNo: x.outRefundNo,
  refundId: x.refundId,
  amountFen: x.amountFen,
  reason: x.reason,
  state: x.state,
  lastError: x.lastError,
  createdAt: x.createdAt.toISOString(),
  updatedAt: x.updatedAt.toISOString(),
  succeededAt: x.succeededAt?.toISOString() ?? null,
});

/** What the shopper sees of a refund: amount, state and times only. */
export const shopperRefundView = (x: RefundRecord): OrderRefund => ({
  amountFen: x.amountFen,
  state: x.state,
  createdAt: x.createdAt.toISOString(),
  succeededAt: x.succeededAt?.toISOString() ?? null,
});

export type RefundOutcome =
  | { result: "applied"; refundId: string; from: RefundState; to: RefundState }
  | { result: "noop"; refundId: string; state: RefundState; why: string }
  | { result: "anomaly"; refundId: string | null; anomaly: string };

/**
 * "Apply WeChat's refund truth": lock the order, then the refund; compare what WeChat states with
 * what we asked; move the refund through the refund table; on success add the amount to the order
 * and move it to partially_refunded / refunded through transition(); write the outbox row.
 */
export async function applyRefundFacts(
  deps: ServiceDeps,
  m: MerchantIdentity,
  facts: RefundFacts,
  source: EventSource,
): Promise<RefundOutcome> {
  return deps.db.transaction(async (r) => {
    const anomaly = (orderId: string | null, kind: string, extra: Record<string, unknown> = {}) =>
      flagAnomaly(deps, r, {
        merchantId: m.id,
        orderId,
        outTradeNo: facts.outTradeNo,
        kind,
        source,
        facts: {
          outRefundNo: facts.outRefundNo,
          refundId: facts.refundId,
          status: facts.status,
          refundFen: facts.refundFen,
          totalFen: facts.totalFen,
          ...extra,
        },
      }).then(() => ({ result: "anomaly" as const, refundId: null, anomaly: kind }));

    const found = await r.refunds.byOutRefundNo(m.id, facts.outRefundNo);
    if (!found) return anomaly(null, "unknown_refund");
    // Order row first, as every writer of an order does: no lock-order deadlock with settle.
    const order = await r.orders.lock(m.id, found.orderId);
    const refund = await r.refunds.lock(m.id, found.id);
    if (!order || !refund) return anomaly(found.orderId, "unknown_refund");
    if (facts.outTradeNo !== refund.outTradeNo || facts.refundFen !== refund.amountFen)
      return anomaly(order.id, "refund_mismatch", { expectedFen: refund.amountFen });

    const now = deps.now();
    const decision = decideRefund(refund.state, facts.status);
    if (decision.kind === "abnormal") {
      // The money could not reach the shopper (e.g. a closed card): it stays reserved, a person acts.
      if (refund.lastError !== facts.status) {
        // WeChat has it, whatever else: a pending refund is processing from here on.
        if (refund.state === "pending")
          await r.refunds.move(refund.id, "pending", "processing", { lastError: facts.status, now });
        else await r.refunds.noteError(refund.id, facts.status, now);
        await anomaly(order.id, "refund_abnormal");
      }
      return { result: "noop", refundId: refund.id, state: refund.state, why: "abnormal" };
    }
    if (decision.kind === "noop") {
      // WeChat says the money went back on a refund we took as failed or closed: a person must look.
      if (decision.why === "not_allowed" && facts.status === "SUCCESS")
        return anomaly(order.id, "refund_state_conflict", { state: refund.state });
      return { result: "noop", refundId: refund.id, state: refund.state, why: decision.why };
    }
    const to = decision.to;
    const moved = await r.refunds.move(refund.id, refund.state, to, {
      refundId: facts.refundId,
      succeededAt: to === "succeeded" ? (facts.successTime ?? now) : null,
      now,
    });
    if (!moved) return { result: "noop", refundId: refund.id, state: refund.state, why: "raced" };
    await finish(r, order, refund, to, source);
    return { result: "applied", refundId: refund.id, from: refund.state, to };
  });
}

/** After a refund reached `to`: the order's total and state, the event and the outbox row. */
async function finish(
  r: Repos,
  order: OrderRecord,
  refund: RefundRecord,
  to: RefundState,
  source: EventSource,
): Promise<void> {
  const data = { refundId: refund.id, outRefundNo: refund.outRefundNo, amountFen: refund.amountFen };
  if (to === "succeeded") {
    const refunded = await r.refunds.addToOrderRefunded(order.id, refund.amountFen);
    await r.events.record(order.id, "refund_succeeded", source, data);
    const next = orderStateAfterRefund(order, refunded);
    if (next) await transition(r, order, next, source, data);
    await r.events.outbox("refund.succeeded", order.id, `refund.succeeded:${refund.id}`, {
      orderId: order.id,
      ...data,
      refundedFen: refunded,
    });
  } else if (to === "failed" || to === "closed") {
    await r.events.record(order.id, "refund_failed", source, { ...data, state: to });
    await r.events.outbox("refund.failed", order.id, `refund.failed:${refund.id}`, {
      orderId: order.id,
      ...data,
      state: to,
    });
  }
}

/** The error code to note on a refund for a failed WeChat call. */
function errorCode(err: unknown): string {
  if (err instanceof WechatUpstreamError)
    return err.wechatCode ?? (err.httpStatus ? `HTTP_${err.httpStatus}` : err.failure.toUpperCase());
  return "ERROR";
}

/** A refusal that will not change by asking again with the same number. */
function isRefusal(err: unknown): boolean {
  if (err instanceof ClientCertificateMissingError) return true;
  return (
    err instanceof WechatUpstreamError &&
    err.failure === "business" &&
    err.wechatCode !== null &&
    !RETRYABLE_CODES.has(err.wechatCode)
  );
}

export type SubmitOutcome = "answered" | "unknown" | { refused: string };

/**
 * Send the refund to WeChat (first time, or again with the same number) and apply the answer.
 * Outside any transaction. Unknown outcomes leave it `processing` for the status job.
 */
export async function submitRefund(
  deps: ServiceDeps,
  m: RefundingMerchant,
  refund: RefundRecord,
  totalFen: number,
  source: EventSource,
): Promise<SubmitOutcome> {
  let facts: RefundFacts;
  try {
    facts = await m.gateway.refund({
      outTradeNo: refund.outTradeNo,
      outRefundNo: refund.outRefundNo,
      totalFen,
      refundFen: refund.amountFen,
      reason: refund.reason ?? undefined,
      notifyUrl: m.notifyUrl("refund"),
    });
  } catch (err) {
    if (isRefusal(err)) {
      const code = err instanceof ClientCertificateMissingError ? "REFUND_CERT_MISSING" : errorCode(err);
      await markRefused(deps, m, refund, code, source);
      return { refused: code };
    }
    const code = err instanceof NotifyFactsInvalidError ? "INVALID_ANSWER" : errorCode(err);
    deps.logger.warn(
      { outRefundNo: refund.outRefundNo, merchant: m.id, code },
      "refund outcome unknown; the status job asks again",
    );
    await deps.db.transaction(async (r) => {
      const row = await r.refunds.lock(m.id, refund.id);
      if (!row || isFinalRefund(row.state)) return;
      if (row.state === "pending")
        await r.refunds.move(row.id, "pending", "processing", { lastError: code, now: deps.now() });
      else await r.refunds.noteError(row.id, code, deps.now());
    });
    return "unknown";
  }
  await applyRefundFacts(deps, m, facts, source);
  return "answered";
}

/** WeChat refused the refund outright: it fails and its amount becomes refundable again. */
async function markRefused(
  deps: ServiceDeps,
  m: MerchantIdentity,
  refund: RefundRecord,
  code: string,
  source: EventSource,
): Promise<void> {
  await deps.db.transaction(async (r) => {
    const order = await r.orders.lock(m.id, refund.orderId);
    const row = await r.refunds.lock(m.id, refund.id);
    if (!order || !row || isFinalRefund(row.state)) return;
    if (await r.refunds.move(row.id, row.state, "failed", { lastError: code, now: deps.now() }))
      await finish(r, order, row, "failed", source);
  });
}

function requestHash(orderId: string, amountFen: number, reason: string | null): string {
  return crypto
    .createHash("sha256")
    .update(JSON.stringify([orderId, amountFen, reason]))
    .digest("hex");
}

const notFound = (type: string, id: string) => new AppError("RESOURCE_NOT_FOUND", undefined, { type, id });

const DAY_MS = 86_400_000;
const RECONCILED_STATE: Record<RefundState, OurRefundState> = {
  pending: "processing",
  processing: "processing",
  succeeded: "succeeded",
  failed: "failed",
  closed: "failed",
};

export class RefundService {
  constructor(
    private readonly deps: ServiceDeps,
    /** Seconds from the request to each status check (the last one repeats until final). */
    private readonly checkSeconds: readonly number[] = DEFAULT_REFUND_CHECK_SECONDS,
  ) {}

  /**
   * POST /admin/v1/orders/{id}/refunds. `replayed` when the Idempotency-Key was seen before with
   * the same request (the same refund comes back, nothing is sent again).
   */
  async create(
    m: RefundingMerchant,
    orderId: string,
    req: { amountFen: number; reason?: string },
    idempotencyKey: string | undefined,
    actor: AdminActor,
  ): Promise<{ refund: AdminRefund; replayed: boolean }> {
    const { repos } = this.deps.db;
    // Another merchant's order is simply not found, before anything else is looked at.
    const order = UUID.test(orderId) ? await repos.orders.byId(m.id, orderId) : null;
    if (!order) throw notFound("order", orderId);
    if (!idempotencyKey) throw new AppError("IDEMPOTENCY_KEY_REQUIRED");
    if (!IDEMPOTENCY_KEY_RE.test(idempotencyKey))
      throw new AppError("VALIDATION_FAILED", undefined, {
        header: "Idempotency-Key",
        rule: "8-128 of [A-Za-z0-9_.:-]",
      });
    const reason = req.reason ?? null;
    const hash = requestHash(orderId, req.amountFen, reason);
    const replay = (x: RefundRecord) => {
      if (x.requestHash !== hash) throw new AppError("IDEMPOTENCY_KEY_REUSED");
      return { refund: refundView(x), replayed: true };
    };
    const seen = await repos.refunds.byIdempotencyKey(m.id, idempotencyKey);
    if (seen) return replay(seen);

    const outTradeNo = await this.paidNumber(m, order);
    const now = this.deps.now();
    const created = await this.deps.db.transaction(async (r) => {
      const locked = await r.orders.lock(m.id, orderId);
      if (!locked) throw notFound("order", orderId);
      const refunds = await r.refunds.forOrder(locked.id);
      const check = checkNewRefund(locked, refunds, req.amountFen);
      if (!check.ok)
        throw new AppError(check.code, undefined, {
          state: locked.state,
          refundableFen: remainingRefundable(locked.totalFen, refunds),
        });
      const row = await r.refunds.insert({
        merchantId: m.id,
        orderId: locked.id,
        outTradeNo,
        outRefundNo: newOutRefundNo(now, this.deps.randomBytes),
        amountFen: req.amountFen,
        reason,
        idempotencyKey,
        requestHash: hash,
        now,
      });
      if (!row) return null; // a concurrent request with the same key won
      await r.events.record(locked.id, "refund_requested", "admin", {
        refundId: row.id,
        outRefundNo: row.outRefundNo,
        amountFen: row.amountFen,
      });
      await audit(r, { merchantId: m.id, actor, at: now }, "refund.create", ["refund", row.id], {
        before: null,
        after: { orderId: locked.id, amountFen: row.amountFen, reason, outRefundNo: row.outRefundNo },
      });
      // The status job commits with the row: a refund WeChat may have is always watched.
      await scheduleRefundCheck(r, row, 0, now, this.checkSeconds);
      return row;
    });
    if (!created) {
      const raced = await repos.refunds.byIdempotencyKey(m.id, idempotencyKey);
      if (!raced) throw new AppError("IDEMPOTENCY_KEY_REUSED");
      return replay(raced);
    }
    const outcome = await submitRefund(this.deps, m, created, order.totalFen, "admin");
    if (typeof outcome === "object")
      throw new AppError(
        outcome.refused === "REFUND_CERT_MISSING" ? "REFUND_CERT_MISSING" : "REFUND_REJECTED",
        undefined,
        { refundId: created.id, wechatCode: outcome.refused },
      );
    const after = await repos.refunds.byId(m.id, created.id);
    return { refund: refundView(after ?? created), replayed: false };
  }

  /**
   * The WeChat number the order was paid under: its own, unless the shopper switched method, in
   * which case WeChat is asked which number carries the order's transaction.
   */
  private async paidNumber(m: RefundingMerchant, order: OrderRecord): Promise<string> {
    const numbers = await this.deps.db.repos.tradeNumbers.forOrder(order.id);
    if (numbers.length <= 1) return numbers[0]?.outTradeNo ?? order.outTradeNo;
    for (const n of numbers) {
      let facts;
      try {
        facts = await m.gateway.queryOrder(n.outTradeNo);
      } catch {
        throw new AppError("UPSTREAM_UNAVAILABLE", undefined, undefined, { "Retry-After": "2" });
      }
      if (
        facts &&
        (facts.tradeState === "SUCCESS" || facts.tradeState === "REFUND") &&
        (!order.transactionId || facts.transactionId === order.transactionId)
      )
        return n.outTradeNo;
    }
    // Not paid at WeChat under any number we know: the state check refuses it below.
    return order.outTradeNo;
  }

  /**
   * Our refunds as reconciliation compares them with a day's bill: a day either side is included so
   * a refund WeChat accepted just across midnight still finds its row; the compare checks the day.
   * The bill knows no "pending" (not yet accepted) and calls a closed refund REFUNDCLOSE, which the
   * compare reads as failed.
   */
  async forReconciliation(merchantId: string, day: string): Promise<OurRefund[]> {
    const { start, end } = shanghaiDay(day);
    const rows = await this.deps.db.repos.refunds.requestedBetween(
      merchantId,
      new Date(start.getTime() - DAY_MS),
      new Date(end.getTime() + DAY_MS),
    );
    return rows.map((r) => ({
      id: r.id,
      orderId: r.orderId,
      outRefundNo: r.outRefundNo,
      amountFen: r.amountFen,
      state: RECONCILED_STATE[r.state],
      acceptedAt: r.createdAt,
    }));
  }

  async get(merchantId: string, id: string): Promise<AdminRefund> {
    const x = UUID.test(id) ? await this.deps.db.repos.refunds.byId(merchantId, id) : null;
    if (!x) throw notFound("refund", id);
    return refundView(x);
  }

  async list(
    merchantId: string,
    q: { filter: RefundFilter; limit: number; cursor?: string },
  ): Promise<RefundPage> {
    const after = q.cursor === undefined ? null : decodeCursor(q.cursor);
    const rows = await this.deps.db.repos.refunds.page(merchantId, {
      filter: q.filter,
      limit: q.limit + 1,
      after,
    });
    const { page, nextCursor } = keysetPage(rows, q.limit, encodeCursor);
    return { refunds: page.map(refundView), nextCursor };
  }
}

/** Enqueue one status check of a refund (in the caller's transaction when given its repositories). */
export async function scheduleRefundCheck(
  r: Repos,
  refund: { id: string; merchantId: string },
  step: number,
  now: Date,
  checkSeconds: readonly number[],
): Promise<void> {
  const job: RefundJob = { refundId: refund.id, merchantId: refund.merchantId, step };
  await r.jobs.enqueue(REFUND_QUEUE, job, {
    startAfter: new Date(now.getTime() + checkSeconds[Math.min(step, checkSeconds.length - 1)]! * 1000),
    singletonKey: `refund:${refund.id}:${step}`,
  });
}

/** The refund-status job: query first; submit again with the same number only if WeChat has none. */
export class RefundJobs {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly merchantById: (id: string) => Promise<RefundingMerchant | null>,
    private readonly checkSeconds: readonly number[],
    private readonly send: (
      queue: string,
      data: object,
      opts: { startAfter: Date; singletonKey: string },
    ) => Promise<void>,
  ) {}

  async status(job: RefundJob): Promise<void> {
    const { repos } = this.deps.db;
    const refund = await repos.refunds.byId(job.merchantId, job.refundId);
    if (!refund || isFinalRefund(refund.state)) return;
    const m = await this.merchantById(job.merchantId);
    if (!m) {
      this.deps.logger.error(
        { merchant: job.merchantId },
        "refund belongs to a merchant with no credentials",
      );
      return;
    }
    await this.checkOnce(m, refund);
    const after = await repos.refunds.byId(job.merchantId, job.refundId);
    if (!after || isFinalRefund(after.state)) return;
    const step = job.step + 1;
    if (step >= MAX_REFUND_CHECKS) {
      this.deps.logger.error({ refund: refund.id }, "refund still not final; left to the merchant");
      return;
    }
    const at = this.deps.now();
    const delay = this.checkSeconds[Math.min(step, this.checkSeconds.length - 1)]! * 1000;
    await this.send(REFUND_QUEUE, { ...job, step } satisfies RefundJob, {
      startAfter: new Date(at.getTime() + delay),
      singletonKey: `refund:${job.refundId}:${step}`,
    });
  }

  /** One look at WeChat; a failed query is noted and left to the next step. */
  private async checkOnce(m: RefundingMerchant, refund: RefundRecord): Promise<void> {
    let facts: RefundFacts | null;
    try {
      facts = await m.gateway.queryRefund(refund.outRefundNo);
    } catch (err) {
      this.deps.logger.warn(
        { outRefundNo: refund.outRefundNo, merchant: m.id, code: errorCode(err) },
        "refund query failed; asked again at the next step",
      );
      await this.deps.db.repos.refunds.noteError(refund.id, errorCode(err), this.deps.now());
      return;
    }
    if (facts) {
      await applyRefundFacts(this.deps, m, facts, "check");
      return;
    }
    // WeChat has no refund under this number: the first request never arrived. Same number again.
    const order = await this.deps.db.repos.orders.byId(m.id, refund.orderId);
    if (!order) return;
    await submitRefund(this.deps, m, refund, order.totalFen, "check");
  }
}
