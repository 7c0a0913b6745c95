/**
 * The daily reconciliation on the job engine. WeChat makes the bill of day D after 10:00 Beijing
 * time on D+1 (its bill pages: "每日10点后生成昨日交易账单文件"), so a cron at 10:30 Asia/Shanghai
 * fans out one job per enabled merchant for yesterday; each merchant's job runs the reconciliation
 * and is retried with backoff when the bill is not ready yet or failed its check (WeChat's advice
 * for a bad hash is to fetch again).
 */
import { shanghaiDate } from "../domain/reconcile";
import type { ServiceDeps } from "../services/deps";
import type { ReconciliationService } from "../services/reconciliation";
import type { QueueSpec } from "./engine";

export const RECONCILE_DAILY_QUEUE = "reconciliation-daily";
export const RECONCILE_MERCHANT_QUEUE = "reconciliation-merchant";
export const RECONCILE_CRON = "30 10 * * *";
export const RECONCILE_TZ = "Asia/Shanghai";

export interface MerchantReconcileJob {
  merchantId: string;
  day: string;
}

/** Yesterday in Shanghai, YYYY-MM-DD. */
export const previousShanghaiDay = (now: Date): string => shanghaiDate(new Date(now.getTime() - 86_400_000));

export function reconciliationQueues(o: {
  deps: ServiceDeps;
  service: ReconciliationService;
  merchants: () => Promise<{ id: string; disabled: boolean }[]>;
}): QueueSpec[] {
  return [
    {
      name: RECONCILE_DAILY_QUEUE,
      retryLimit: 3,
      schedule: { cron: RECONCILE_CRON, tz: RECONCILE_TZ },
      handler: async (_d, send) => {
        const day = previousShanghaiDay(o.deps.now());
        for (const m of await o.merchants()) {
          if (m.disabled) continue;
          const job: MerchantReconcileJob = { merchantId: m.id, day };
          // One job per merchant and day, however often the fan-out runs.
          await send(RECONCILE_MERCHANT_QUEUE, job, {
            startAfter: o.deps.now(),
            singletonKey: `${m.id}:${day}`,
          });
        }
      },
    },
    {
      name: RECONCILE_MERCHANT_QUEUE,
      // About 12 attempts with backoff covers WeChat's "Bill Creating" window into the afternoon.
      retryLimit: 12,
      handler: async (d) => {
        const job = d as unknown as MerchantReconcileJob;
        await o.service.run(job.merchantId, job.day, "schedule");
      },
    },
  ];
}
