/**
 * The order queues: payment checks (no retry within a step), expiry (retried until WeChat lets it
 * close) and refund status checks (jobs/refund-queues.ts).
 */
import type { ServiceDeps } from "../services/deps";
import {
  CHECK_QUEUE,
  EXPIRY_QUEUE,
  OrderJobs,
  type CheckedMerchant,
  type CheckJob,
  type ExpiryJob,
} from "../services/order-checks";
import type { RefundingMerchant } from "../services/refunds";
import { JobEngine, type QueueSpec } from "./engine";
import { refundQueues } from "./refund-queues";

export async function startOrderJobs(o: {
  connectionString: string;
  deps: ServiceDeps;
  merchantById: (id: string) => Promise<(CheckedMerchant & RefundingMerchant) | null>;
  scheduleSeconds: readonly number[];
  /** Seconds from a refund request to each status check; the payment-check schedule by default. */
  refundCheckSeconds?: readonly number[];
  /** Finished jobs are deleted this many days after they were archived (pg-boss default 7). */
  deleteAfterDays?: number;
  pollingIntervalSeconds?: number;
  /** Other features' queues, served by the same engine (reconciliation, webhooks, retention, …). */
  extraQueues?: QueueSpec[];
}): Promise<JobEngine> {
  const handlers = (send: JobEngine["send"]) =>
    new OrderJobs(o.deps, o.merchantById, o.scheduleSeconds, send);
  return JobEngine.start({
    connectionString: o.connectionString,
    logger: o.deps.logger,
    pollingIntervalSeconds: o.pollingIntervalSeconds,
    metrics: o.deps.metrics,
    deleteAfterDays: o.deleteAfterDays,
    queues: [
      {
        name: CHECK_QUEUE,
        retryLimit: 0,
        handler: (d, send) => handlers(send).check(d as unknown as CheckJob),
      },
      {
        name: EXPIRY_QUEUE,
        retryLimit: 20,
        handler: (d, send) => handlers(send).expire(d as unknown as ExpiryJob),
      },
      ...refundQueues({
        deps: o.deps,
        merchantById: o.merchantById,
        checkSeconds: o.refundCheckSeconds ?? o.scheduleSeconds,
      }),
      ...(o.extraQueues ?? []),
    ],
  });
}
