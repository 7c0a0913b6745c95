/**
 * What the services report for operators, as a small port: the Prometheus adapter
 * (metrics/prometheus.ts) implements it, tests and tools that do not care pass `noMetrics`.
 * Labels are small fixed sets (route templates, states, step names), never ids.
 */
export type RefundResult = "succeeded" | "failed" | "processing" | "abnormal" | "rejected";
export const REFUND_RESULTS: readonly RefundResult[] = [
  "succeeded",
  "failed",
  "processing",
  "abnormal",
  "rejected",
];

export interface MetricsPort {
  httpRequest(route: string, method: string, status: number, seconds: number): void;
  notify(version: "v2" | "v3", kind: "pay" | "refund", result: string): void;
  orderTransition(from: string, to: string): void;
  /** One call to WeChat; `error` names the failure class, null when it succeeded. */
  wechatCall(endpoint: string, seconds: number, error: string | null): void;
  jobFailed(queue: string): void;
  /** A refund reached this result (the refund service calls it). */
  refund(result: RefundResult): void;
  reconciliationMismatches(kind: string, count: number): void;
}

export const noMetrics: MetricsPort = {
  httpRequest: () => {},
  notify: () => {},
  orderTransition: () => {},
  wechatCall: () => {},
  jobFailed: () => {},
  refund: () => {},
  reconciliationMismatches: () => {},
};
