/**
 * Reconciliation with WeChat's daily trade bill: POST/GET /admin/v1/reconciliations and
 * GET /admin/v1/reconciliations/{id}. Dates are Asia/Shanghai calendar days.
 */
import { z } from "zod";

export const MISMATCH_KIND_NAMES = [
  "missing_here",
  "missing_at_wechat",
  "amount_mismatch",
  "state_mismatch",
  "refund_mismatch",
] as const;

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a date YYYY-MM-DD")
  .refine((v) => {
    const d = new Date(`${v}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
  }, "a date that exists");

export const CreateReconciliationRequest = z.object({ date: day }).strict();
export type CreateReconciliationRequest = z.infer<typeof CreateReconciliationRequest>;

export const ReconciliationQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

const Counts = z.object(
  Object.fromEntries(MISMATCH_KIND_NAMES.map((k) => [k, z.number().int().min(0)])) as Record<
    (typeof MISMATCH_KIND_NAMES)[number],
    z.ZodNumber
  >,
);

export const ReconciliationRun = z.object({
  id: z.string(),
  billDate: z.string(),
  status: z.enum(["completed", "failed"]),
  trigger: z.enum(["schedule", "admin"]),
  /** false: WeChat had no bill for the day (no trades), compared as an empty bill. */
  billFound: z.boolean(),
  billRows: z.number().int().min(0),
  matched: z.number().int().min(0),
  counts: Counts,
  /** Why a failed run failed (e.g. the file did not match its hash). */
  error: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type ReconciliationRun = z.infer<typeof ReconciliationRun>;

export const ReconciliationMismatch = z.object({
  id: z.string(),
  kind: z.enum(MISMATCH_KIND_NAMES),
  /** For refund_mismatch: missing_here, missing_at_wechat, amount or state. */
  detail: z.string().nullable(),
  orderId: z.string().nullable(),
  refundId: z.string().nullable(),
  outTradeNo: z.string().nullable(),
  outRefundNo: z.string().nullable(),
  wechat: z.record(z.string(), z.unknown()).nullable(),
  ours: z.record(z.string(), z.unknown()).nullable(),
});

export const ReconciliationDetail = ReconciliationRun.extend({
  mismatches: z.array(ReconciliationMismatch),
});
export type ReconciliationDetail = z.infer<typeof ReconciliationDetail>;

export const ReconciliationPage = z.object({
  runs: z.array(ReconciliationRun),
  nextCursor: z.string().nullable(),
});
export type ReconciliationPage = z.infer<typeof ReconciliationPage>;
