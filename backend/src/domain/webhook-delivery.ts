/**
 * The delivery rules of merchant webhooks (README "Webhooks"), pure: what counts as delivered,
 * when the next attempt is due, when an endpoint that keeps failing is switched off, and the
 * payload every attempt of an event carries.
 */

/** Seconds after attempt 1, 2, … before the next one; 8 attempts over about 27.6 hours. */
export const DEFAULT_RETRY_SECONDS: readonly number[] = [5, 300, 1800, 7200, 18000, 36000, 36000];

/** An endpoint that has not accepted a delivery for this long (while failing) is disabled. */
export const DISABLE_AFTER_MS = 3 * 24 * 3600 * 1000;

/** Only a 2xx within the timeout is a delivery; a 3xx is not followed and counts as a failure. */
export const delivered = (statusCode: number | null): boolean =>
  statusCode !== null && statusCode >= 200 && statusCode < 300;

/** When attempt number `attemptsMade + 1` is due after a failure at `failedAt`, or null: give up. */
export function nextAttemptAt(
  attemptsMade: number,
  failedAt: Date,
  scheduleSeconds: readonly number[],
): Date | null {
  const wait = scheduleSeconds[attemptsMade - 1];
  return wait === undefined ? null : new Date(failedAt.getTime() + wait * 1000);
}

/** The endpoint has failed everything since `failingSince` for at least `afterMs`. */
export const failedTooLong = (failingSince: Date | null, now: Date, afterMs: number): boolean =>
  failingSince !== null && now.getTime() - failingSince.getTime() >= afterMs;

export interface WebhookEvent {
  id: string;
  type: string;
  createdAt: Date;
  /** The order, refund or anomaly as the admin API shows it, when the event was published. */
  object: unknown;
}

/** The body, exactly as signed and sent on every attempt of the event. */
export function webhookBody(e: WebhookEvent): string {
  return JSON.stringify({
    id: e.id,
    type: e.type,
    createdAt: e.createdAt.toISOString(),
    data: { object: e.object },
  });
}
