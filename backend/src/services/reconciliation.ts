/**
 * Daily reconciliation: download WeChat's trade bill of one Shanghai day for a merchant, compare it
 * with our orders and refunds (domain/reconcile.ts), and keep the run with its counts and every
 * mismatch; each mismatch is also flagged as an anomaly for the merchant to resolve. A day WeChat
 * has no bill for (no trades) is compared as an empty bill. A bill that fails its hash or layout
 * check is never half-read: the run is recorded as failed and the caller gets BILL_REJECTED.
 * Never inside a transaction while WeChat is asked.
 */
import type { ReconciliationDetail, ReconciliationPage, ReconciliationRun } from "@minipay/shared";
import type { RunRecord } from "../db/repositories/reconciliations";
import { AppError } from "../domain/errors";
import {
  MISMATCH_KINDS,
  reconcile,
  shanghaiDay,
  type MismatchKind,
  type OurRefund,
} from "../domain/reconcile";
import { BillFormatError, BillHashError } from "../wechat/bill-text";
import { isWechatCode } from "../wechat/common";
import type { TradeBill, TradeBills } from "../wechat/ports";
import { audit, type AdminActor } from "./admin/actor";
import { decodeIdCursor, pageOf } from "./admin/id-cursor";
import type { ServiceDeps } from "./deps";
import { mapUpstream } from "./upstream-errors";

/** Our refunds accepted around a day (the refund service provides it; the compare checks the day). */
export type RefundsForDay = (merchantId: string, day: string) => Promise<OurRefund[]>;

export interface ReconcilingMerchant {
  id: string;
  gateway: TradeBills;
}

const DAY_MS = 86_400_000;
const zeroCounts = () =>
  Object.fromEntries(MISMATCH_KINDS.map((k) => [k, 0])) as Record<MismatchKind, number>;

const view = (r: RunRecord): ReconciliationRun => ({
  id: r.id,
  billDate: r.billDate,
  status: r.status,
  trigger: r.trigger,
  billFound: r.billFound,
  billRows: r.billRows,
  matched: r.matched,
  counts: r.counts,
  error: r.error,
  startedAt: r.startedAt.toISOString(),
  finishedAt: r.finishedAt.toISOString(),
});

export class ReconciliationService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly merchantById: (id: string) => Promise<ReconcilingMerchant | null>,
    private readonly refundsForDay: RefundsForDay,
  ) {}

  async run(
    merchantId: string,
    day: string,
    trigger: "schedule" | "admin",
    actor: AdminActor | null = null,
  ): Promise<ReconciliationDetail> {
    const { start, end } = shanghaiDay(day);
    const m = await this.merchantById(merchantId);
    if (!m) throw new AppError("RESOURCE_NOT_FOUND", undefined, { type: "merchant", id: merchantId });
    const startedAt = this.deps.now();
    let bill: TradeBill | null;
    try {
      bill = await m.gateway.downloadTradeBill(day);
    } catch (err) {
      const id = await this.record(merchantId, day, trigger, actor, startedAt, {
        failed: describe(err),
      });
      this.deps.logger.warn(
        { merchant: merchantId, day, run: id, err: (err as Error)?.message },
        "reconciliation: bill not usable",
      );
      if (err instanceof BillHashError || err instanceof BillFormatError)
        throw new AppError("BILL_REJECTED", undefined, { runId: id, reason: describe(err) });
      if (isWechatCode(err, "Bill Creating", "STATEMENT_CREATING"))
        throw new AppError("BILL_NOT_READY", undefined, { runId: id }, { "Retry-After": "1800" });
      mapUpstream(err);
    }
    const payments = bill?.payments ?? [];
    const refunds = bill?.refunds ?? [];
    const numbers = [...new Set([...payments, ...refunds].map((p) => p.outTradeNo))];
    // A day either side: an order applied here after midnight but paid before it is still found.
    const orders = await this.deps.db.repos.reconciliations.ordersForBill(
      merchantId,
      numbers,
      new Date(start.getTime() - DAY_MS),
      new Date(end.getTime() + DAY_MS),
    );
    const ourRefunds = await this.refundsForDay(merchantId, day);
    const result = reconcile({ day, payments, refunds, orders, ourRefunds });
    const id = await this.record(merchantId, day, trigger, actor, startedAt, { bill, result });
    for (const k of MISMATCH_KINDS)
      if (result.counts[k]) this.deps.metrics?.reconciliationMismatches(k, result.counts[k]);
    return this.get(merchantId, id);
  }

  /** Store the run, its mismatches and their anomalies (and the audit row) in one transaction. */
  private async record(
    merchantId: string,
    day: string,
    trigger: "schedule" | "admin",
    actor: AdminActor | null,
    startedAt: Date,
    o: { failed: string } | { bill: TradeBill | null; result: ReturnType<typeof reconcile> },
  ): Promise<string> {
    const finishedAt = this.deps.now();
    return this.deps.db.transaction(async (r) => {
      const done = "result" in o ? o : null;
      const id = await r.reconciliations.insertRun({
        merchantId,
        billDate: day,
        status: done ? "completed" : "failed",
        trigger,
        billFound: !!done?.bill,
        billRows: done?.bill?.rows ?? 0,
        billSha1: done?.bill?.sha1 ?? null,
        matched: done?.result.matched ?? 0,
        counts: done?.result.counts ?? zeroCounts(),
        error: "failed" in o ? o.failed : null,
        startedAt,
        finishedAt,
      });
      if (done) {
        await r.reconciliations.insertMismatches(merchantId, id, done.result.mismatches);
        for (const x of done.result.mismatches)
          await r.events.anomaly({
            merchantId,
            orderId: x.orderId,
            outTradeNo: x.outTradeNo,
            kind: `reconciliation_${x.kind}`,
            source: "reconciliation",
            facts: {
              runId: id,
              billDate: day,
              detail: x.detail,
              outRefundNo: x.outRefundNo,
              refundId: x.refundId,
              wechat: x.wechat,
              ours: x.ours,
            },
          });
      }
      if (actor)
        await audit(r, { merchantId, actor, at: finishedAt }, "reconciliation.run", ["reconciliation", id], {
          before: null,
          after: {
            billDate: day,
            status: done ? "completed" : "failed",
            matched: done?.result.matched ?? 0,
            counts: done?.result.counts ?? zeroCounts(),
          },
        });
      return id;
    });
  }

  async list(merchantId: string, limit: number, cursor?: string): Promise<ReconciliationPage> {
    const before = cursor === undefined ? null : decodeIdCursor(cursor);
    const rows = await this.deps.db.repos.reconciliations.page(merchantId, limit + 1, before);
    const { page, nextCursor } = pageOf(rows, limit);
    return { runs: page.map(view), nextCursor };
  }

  async get(merchantId: string, id: string): Promise<ReconciliationDetail> {
    const run = await this.deps.db.repos.reconciliations.get(merchantId, id);
    if (!run) throw new AppError("RESOURCE_NOT_FOUND", undefined, { type: "reconciliation", id });
    const mismatches = await this.deps.db.repos.reconciliations.mismatches(merchantId, id);
    return { ...view(run), mismatches };
  }
}

/** A short, secret-free reason for a failed run. */
function describe(err: unknown): string {
  if (err instanceof BillHashError) return `hash_mismatch: ${err.message}`;
  if (err instanceof BillFormatError) return `bad_layout: ${err.problem}`;
  return `download_failed: ${(err as Error)?.message ?? String(err)}`.slice(0, 300);
}
