/**
 * The webhook delivery queue: one job per attempt, each enqueued with its due time in the
 * transaction that made it due (the fan-out, a failed attempt, a manual retry). The schedule is the
 * dispatcher's, not pg-boss's backoff; pg-boss's own retries only cover a handler that threw
 * (database trouble), and a repeated job is harmless: the handler checks the attempt count.
 */
import {
  WEBHOOK_DELIVERY_QUEUE,
  type DeliveryJob,
  type WebhookDispatcher,
} from "../services/webhook-dispatch";
import type { QueueSpec } from "./engine";

export function webhookQueues(dispatcher: Pick<WebhookDispatcher, "deliver">): QueueSpec[] {
  return [
    {
      name: WEBHOOK_DELIVERY_QUEUE,
      retryLimit: 5,
      handler: (d) => dispatcher.deliver(d as unknown as DeliveryJob),
    },
  ];
}
