/** The refund-status queue: one check per step, never retried within a step (the next step asks again). */
import type { ServiceDeps } from "../services/deps";
import { REFUND_QUEUE, RefundJobs, type RefundJob, type RefundingMerchant } from "../services/refunds";
import type { QueueSpec } from "./engine";

export function refundQueues(o: {
  deps: ServiceDeps;
  merchantById: (id: string) => Promise<RefundingMerchant | null>;
  checkSeconds: readonly number[];
}): QueueSpec[] {
  return [
    {
      name: REFUND_QUEUE,
      retryLimit: 0,
      handler: (d, send) =>
        new RefundJobs(o.deps, o.merchantById, o.checkSeconds, send).status(d as unknown as RefundJob),
    },
  ];
}
