/**
 * The MetricsPort over prom-client. Every app gets its own Registry (never prom-client's global
 * one), so several apps in one process (tests, several merchants' workers) do not collide.
 * Names and labels are listed in the README ("Metrics").
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { REFUND_RESULTS, type MetricsPort } from "../services/metrics-port";
import { MISMATCH_KINDS } from "../domain/reconcile";

export type QueueDepths = () => Promise<{ queue: string; depth: number }[]>;

export interface PrometheusMetrics extends MetricsPort {
  readonly registry: Registry;
  /** Queue depth is read from the job engine at scrape time, once it is running. */
  watchQueues(depths: QueueDepths): void;
  text(): Promise<string>;
  readonly contentType: string;
}

export function createPrometheusMetrics(o: { defaults?: boolean } = {}): PrometheusMetrics {
  const registry = new Registry();
  if (o.defaults ?? true) collectDefaultMetrics({ register: registry, prefix: "minipay_process_" });
  const registers = [registry];
  const http = new Histogram({
    name: "minipay_http_request_duration_seconds",
    help: "HTTP requests by route template, method and status",
    labelNames: ["route", "method", "status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const notifies = new Counter({
    name: "minipay_notifies_total",
    help: "Inbound WeChat notifies by API version, kind (pay/refund) and result",
    labelNames: ["version", "kind", "result"],
    registers,
  });
  const transitions = new Counter({
    name: "minipay_order_transitions_total",
    help: "Committed order state changes",
    labelNames: ["from", "to"],
    registers,
  });
  const wechat = new Histogram({
    name: "minipay_wechat_call_duration_seconds",
    help: "Calls to WeChat Pay by endpoint and outcome (ok or the failure class)",
    labelNames: ["endpoint", "outcome"],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers,
  });
  const wechatErrors = new Counter({
    name: "minipay_wechat_call_errors_total",
    help: "Failed calls to WeChat Pay by endpoint and failure class",
    labelNames: ["endpoint", "error"],
    registers,
  });
  const jobFailures = new Counter({
    name: "minipay_job_failures_total",
    help: "Job runs that threw (pg-boss retries them or marks them failed)",
    labelNames: ["queue"],
    registers,
  });
  let depths: QueueDepths | null = null;
  new Gauge({
    name: "minipay_job_queue_depth",
    help: "Jobs waiting in each pg-boss queue, read at scrape time",
    labelNames: ["queue"],
    registers,
    async collect() {
      if (!depths) return;
      this.reset();
      // A scrape must not fail because the queue tables cannot be read (engine stopping, database
      // down): the gauge is then simply absent from this scrape.
      const read = await depths().catch(() => []);
      for (const d of read) this.set({ queue: d.queue }, d.depth);
    },
  });
  const refunds = new Counter({
    name: "minipay_refunds_total",
    help: "Refunds by result",
    labelNames: ["result"],
    registers,
  });
  const mismatches = new Counter({
    name: "minipay_reconciliation_mismatches_total",
    help: "Differences found between WeChat's trade bill and our records, by kind",
    labelNames: ["kind"],
    registers,
  });
  // Known label values start at 0, so a scrape shows the series before the first event.
  for (const r of REFUND_RESULTS) refunds.inc({ result: r }, 0);
  for (const k of MISMATCH_KINDS) mismatches.inc({ kind: k }, 0);

  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    watchQueues: (d) => (depths = d),
    httpRequest: (route, method, status, seconds) =>
      http.observe({ route, method, status: String(status) }, seconds),
    notify: (version, kind, result) => notifies.inc({ version, kind, result }),
    orderTransition: (from, to) => transitions.inc({ from, to }),
    wechatCall: (endpoint, seconds, error) => {
      wechat.observe({ endpoint, outcome: error ?? "ok" }, seconds);
      if (error) wechatErrors.inc({ endpoint, error });
    },
    jobFailed: (queue) => jobFailures.inc({ queue }),
    refund: (result) => refunds.inc({ result }),
    reconciliationMismatches: (kind, count) => mismatches.inc({ kind }, count),
  };
}
