/** The order queues: payment checks (no retry within a step) and expiry (retried until WeChat lets it close). */
import type { ServiceDeps } from "../services/deps";
import {
  CHECK_QUEUE,
  EXPIRY_QUEUE,
  OrderJobs,
  type CheckedMerchant,
  type CheckJob,
  type ExpiryJob,
} from "../services/order-checks";
import { JobEngine, type QueueSpec } from "./engine";

export async function startOrderJobs(o: {
  connectionString: string;
  deps: ServiceDeps;
  merchantById: (id: string) => Promise<CheckedMerchant | null>;
  scheduleSeconds: readonly number[];
  pollingIntervalSeconds?: number;
  /** Other features' queues, served by the same engine (webhook deliveries). */
  extraQueues?: QueueSpec[];
}): Promise<JobEngine> {
  const handlers = (send: JobEngine["send"]) =>
    new OrderJobs(o.deps, o.merchantById, o.scheduleSeconds, send);
  return JobEngine.start({
    connectionString: o.connectionString,
    logger: o.deps.logger,
    pollingIntervalSeconds: o.pollingIntervalSeconds,
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
      ...(o.extraQueues ?? []),
    ],
  });
}
