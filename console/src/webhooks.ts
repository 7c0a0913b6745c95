/** Pure helpers for the webhook views (unit-tested): which deliveries concern an order, and the
 * dashboard's count of recent failures. */
import type { WebhookDelivery } from "@minipay/shared";

/**
 * Whether a delivery is about this order. GET /webhook-deliveries has no order filter, so the console
 * looks inside the payload (README "Webhooks"): order events carry the order (`id`), refund and
 * anomaly events carry `orderId`.
 */
export function concernsOrder(d: Pick<WebhookDelivery, "payload">, orderId: string): boolean {
  const obj = (d.payload as { data?: { object?: { id?: unknown; orderId?: unknown } } } | null)?.data?.object;
  if (!obj || typeof obj !== "object") return false;
  return obj.orderId === orderId || (obj.id === orderId && !("orderId" in obj));
}

/**
 * Failed deliveries made in the last `days` days, from newest-first pages of status=failed. `more`:
 * the pages ran out before reaching an older delivery, so the true count may be higher.
 */
export function recentFailures(
  deliveries: readonly Pick<WebhookDelivery, "createdAt">[],
  now: Date,
  days: number,
  hasMorePages: boolean,
): { count: number; more: boolean } {
  const since = now.getTime() - days * 86_400_000;
  const recent = deliveries.filter((d) => Date.parse(d.createdAt) >= since);
  return { count: recent.length, more: hasMorePages && recent.length === deliveries.length };
}

/** The first 1 KB the receiver answered, as text to show (the API already cut it). */
export function answerHead(head: string | null, limit = 1024): string {
  if (!head) return "";
  return head.length > limit ? `${head.slice(0, limit)}…` : head;
}
