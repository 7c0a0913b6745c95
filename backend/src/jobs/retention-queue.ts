/**
 * Retention on the job engine: one pg-boss job at a time prunes (services/retention.ts), then
 * enqueues the next pass `intervalMs` later. Every job of the chain has the same singleton key, so
 * with the queue's "short" policy at most one pass waits at a time, however many instances start
 * (each one seeds the chain; the seeds after the first are dropped as duplicates).
 */
import type { Logger } from "../logger";
import type { RetentionJob } from "../services/retention";
import type { JobEngine, QueueSpec } from "./engine";

export const RETENTION_QUEUE = "retention";

const next = (intervalMs: number) => ({
  startAfter: new Date(Date.now() + intervalMs),
  singletonKey: RETENTION_QUEUE,
});

export function retentionQueue(job: RetentionJob, logger: Logger, intervalMs: number): QueueSpec {
  return {
    name: RETENTION_QUEUE,
    // A pass that died with its process comes back (expired → retried); a failed pass is logged.
    retryLimit: 2,
    handler: async (_data, send) => {
      try {
        const n = await job.runOnce();
        if (Object.values(n).some((v) => v > 0)) logger.info(n, "retention pass");
      } catch (err) {
        logger.error({ err: (err as Error)?.message }, "retention failed");
      }
      await send(RETENTION_QUEUE, {}, next(intervalMs));
    },
  };
}

/** Start the chain now unless a pass is already waiting. */
export async function seedRetention(engine: JobEngine): Promise<void> {
  await engine.send(RETENTION_QUEUE, {}, next(0));
}
