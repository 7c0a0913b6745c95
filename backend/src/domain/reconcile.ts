/** Reconciliation of WeChat's daily trade bill against our records: pure, no I/O. */
export const MISMATCH_KINDS = [
  "missing_here",
  "missing_at_wechat",
  "amount_mismatch",
  "state_mismatch",
  "refund_mismatch",
] as const;
export type MismatchKind = (typeof MISMATCH_KINDS)[number];
