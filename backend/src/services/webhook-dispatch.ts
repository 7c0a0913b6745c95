/**
 * Merchant webhooks, the moving part (README "Webhooks"). The fan-out turns each new outbox row
 * (written in the transaction of the change it reports) into one delivery per endpoint of that
 * merchant that asked for the event type, each with the same event id and body, and enqueues the
 * first attempt in the same transaction. An attempt signs the body (Standard Webhooks), sends it
 * through the sender port, records what happened, and on failure schedules the next attempt or
 * gives up; an endpoint that has failed everything for `disableAfterMs` is disabled and flagged.
 */
import { WEBHOOK_EVENTS } from "@minipay/shared";
import type { Repos } from "../db/repositories";
import type { OutboxRecord, WebhookEndpointRecord } from "../db/repositories/webhooks";
import {
  DEFAULT_RETRY_SECONDS,
  DISABLE_AFTER_MS,
  delivered,
  failedTooLong,
  nextAttemptAt,
  webhookBody,
} from "../domain/webhook-delivery";
import { formatWebhookSecret, signWebhook } from "../domain/webhook-signature";
import { anomalyView } from "./admin/anomalies";
import { orderSummary } from "./admin/orders";
import type { ServiceDeps } from "./deps";
import { refundView } from "./refunds";

export const WEBHOOK_DELIVERY_QUEUE = "webhook-delivery";

/** The job of one attempt: which delivery, and how many attempts it had when it was enqueued. */
export interface DeliveryJob {
  deliveryId: string;
  attempts: number;
}

/** The sending side, an adapter (webhooks/sender.ts): resolves, checks, connects, reads 1 KB. */
export interface WebhookPoster {
  post(
    url: string,
    headers: Record<string, string>,
    body: string,
  ): Promise<{
    statusCode: number | null;
    latencyMs: number;
    responseHead: string | null;
    error: string | null;
  }>;
}

/** Opening sealed endpoint secrets (the SecretBox). */
export interface SecretOpener {
  open(sealed: string): string;
  seal(plaintext: string): string;
}

/** Builds the `data.object` of an event from its outbox row: what the admin API shows, now. */
export type ObjectLoader = (r: Repos, row: OutboxRecord) => Promise<unknown>;

export interface DispatchOptions {
  /** Seconds after attempt 1, 2, … (time-scaled in tests). */
  retrySeconds?: readonly number[];
  disableAfterMs?: number;
  /** Outbox rows taken per fan-out pass. */
  batch?: number;
  /** Loaders by the event type's first word ("order", "refund", "anomaly"); these replace the defaults. */
  objects?: Record<string, ObjectLoader>;
}

const KNOWN = new Set<string>(WEBHOOK_EVENTS);

const DEFAULT_OBJECTS: Record<string, ObjectLoader> = {
  order: async (r, row) => {
    const o = row.orderId && row.merchantId ? await r.orders.byId(row.merchantId, row.orderId) : null;
    return o ? orderSummary(o) : null;
  },
  anomaly: async (r, row) => {
    const id = row.payload.anomalyId;
    const a = typeof id === "string" && row.merchantId ? await r.anomalies.lock(row.merchantId, id) : null;
    return a ? anomalyView(a) : null;
  },
  // The refund as GET /admin/v1/refunds/{id} shows it, in its state at delivery time.
  refund: async (r, row) => {
    const id = row.payload.refundId;
    const x = typeof id === "string" && row.merchantId ? await r.refunds.byId(row.merchantId, id) : null;
    return x ? refundView(x) : null;
  },
};

export class WebhookDispatcher {
  private readonly retrySeconds: readonly number[];
  private readonly disableAfterMs: number;
  private readonly batch: number;
  private readonly objects: Record<string, ObjectLoader>;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly secrets: SecretOpener,
    private readonly poster: WebhookPoster,
    o: DispatchOptions = {},
  ) {
    this.retrySeconds = o.retrySeconds ?? DEFAULT_RETRY_SECONDS;
    this.disableAfterMs = o.disableAfterMs ?? DISABLE_AFTER_MS;
    this.batch = o.batch ?? 100;
    this.objects = { ...DEFAULT_OBJECTS, ...o.objects };
  }

  /** One fan-out pass over the outbox; the number of rows taken. */
  async fanOut(): Promise<number> {
    return this.deps.db.transaction(async (r) => {
      const rows = await r.webhooks.claimOutbox(this.batch);
      const now = this.deps.now();
      for (const row of rows) {
        const eventId = "evt_" + this.deps.randomBytes(16).toString("base64url");
        const endpoints =
          row.merchantId && KNOWN.has(row.topic)
            ? await r.webhooks.subscribed(row.merchantId, row.topic)
            : [];
        const notifyUrl = await this.notifyUrlOf(r, row);
        if (endpoints.length > 0 || notifyUrl) {
          const object = await this.objectOf(r, row);
          const payload = webhookBody({ id: eventId, type: row.topic, createdAt: row.createdAt, object });
          const targets: { endpointId: string; targetUrl?: string }[] = endpoints.map((e) => ({
            endpointId: e.id,
          }));
          if (notifyUrl) {
            // The order's own notifyUrl, signed with the merchant's order-notify secret (made here,
            // unseen, if the merchant never asked for it: POST /admin/v1/order-notify-secret).
            const fresh = this.secrets.seal(formatWebhookSecret(this.deps.randomBytes(32)));
            const { endpoint } = await r.webhooks.orderNotifyEndpoint(row.merchantId!, fresh, now);
            targets.push({ endpointId: endpoint.id, targetUrl: notifyUrl });
          }
          for (const t of targets) {
            const d = await r.webhooks.insertDelivery({
              merchantId: row.merchantId!,
              endpointId: t.endpointId,
              targetUrl: t.targetUrl,
              eventId,
              eventType: row.topic,
              payload,
              now,
            });
            if (d) await this.enqueue(r, { deliveryId: d.id, attempts: 0 }, now, "first");
          }
        }
        await r.webhooks.markFannedOut(row.id, eventId, now);
      }
      return rows.length;
    });
  }

  /** The notifyUrl of the merchant-API order an order or refund event is about, if it gave one. */
  private async notifyUrlOf(r: Repos, row: OutboxRecord): Promise<string | null> {
    if (!row.orderId || !row.merchantId || !KNOWN.has(row.topic) || row.topic.startsWith("anomaly."))
      return null;
    const mo = await r.merchantOrders.byOrderId(row.merchantId, row.orderId);
    return mo?.notifyUrl ?? null;
  }

  /** The event's object; a loader that fails leaves it null rather than stall the whole outbox. */
  private async objectOf(r: Repos, row: OutboxRecord): Promise<unknown> {
    const load = this.objects[row.topic.split(".")[0]!];
    if (!load) return row.payload;
    try {
      return await load(r, row);
    } catch (err) {
      this.deps.logger.warn(
        { outboxId: row.id, err: (err as Error).message },
        "webhook object could not be read",
      );
      return null;
    }
  }

  /** Enqueue an attempt in the caller's transaction. */
  async enqueue(r: Repos, job: DeliveryJob, at: Date, why: string): Promise<void> {
    await r.jobs.enqueue(WEBHOOK_DELIVERY_QUEUE, job, {
      startAfter: at,
      singletonKey: `${job.deliveryId}:${job.attempts}:${why}`,
    });
  }

  /**
   * Enqueue again the attempts that are overdue by more than `graceMs` (a job lost to a handler
   * that kept throwing, e.g. while the database was away). A duplicate is harmless: an attempt
   * runs only while the delivery still has the attempt count its job carries.
   */
  async recover(graceMs = 120_000): Promise<number> {
    return this.deps.db.transaction(async (r) => {
      const now = this.deps.now();
      const late = await r.webhooks.overdue(new Date(now.getTime() - graceMs), this.batch);
      const round = Math.floor(now.getTime() / graceMs);
      for (const d of late)
        await this.enqueue(r, { deliveryId: d.id, attempts: d.attempts }, now, `recover-${round}`);
      return late.length;
    });
  }

  /** Fan out every `intervalMs` until stopped (each instance; rows are locked, so each is taken once). */
  start(intervalMs: number, recoverEveryMs = 60_000): void {
    if (this.timer) return;
    let lastRecovery = Date.now();
    const pass = async () => {
      await this.fanOut();
      if (Date.now() - lastRecovery >= recoverEveryMs) {
        lastRecovery = Date.now();
        await this.recover();
      }
    };
    const tick = () => {
      this.running = pass()
        .catch((err) => this.deps.logger.warn({ err: (err as Error).message }, "webhook fan-out failed"))
        .finally(() => {
          this.running = null;
          if (this.timer) this.timer = setTimeout(tick, intervalMs);
        });
    };
    this.timer = setTimeout(tick, intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** The secrets that sign now: the current one, and the previous one during its overlap. */
  private signingSecrets(e: WebhookEndpointRecord, now: Date): string[] {
    const secrets = [this.secrets.open(e.secretSealed)];
    if (e.previousSecretSealed && e.previousSecretExpiresAt && e.previousSecretExpiresAt > now)
      secrets.push(this.secrets.open(e.previousSecretSealed));
    return secrets;
  }

  /** One attempt of a delivery (the job's handler). A stale or duplicate job does nothing. */
  async deliver(job: DeliveryJob): Promise<void> {
    const { webhooks } = this.deps.db.repos;
    const d = await webhooks.deliveryById(job.deliveryId);
    if (!d || d.status !== "pending" || d.attempts !== job.attempts) return;
    const e = await webhooks.endpointById(d.endpointId);
    if (!e || e.deletedAt || !e.enabled) {
      await this.deps.db.transaction(async (r) => {
        const locked = await r.webhooks.lockDelivery(d.id);
        if (locked?.status === "pending")
          await r.webhooks.updateDelivery(
            d.id,
            { status: "failed", attempts: locked.attempts, nextAttemptAt: null },
            this.deps.now(),
          );
      });
      return;
    }
    const sentAt = this.deps.now();
    const headers = signWebhook(this.signingSecrets(e, sentAt), {
      id: d.eventId,
      at: sentAt,
      body: d.payload,
    });
    const result = await this.poster.post(d.targetUrl ?? e.url, headers, d.payload);
    await this.deps.db.transaction(async (r) => {
      const now = this.deps.now();
      await r.webhooks.recordAttempt({
        deliveryId: d.id,
        at: sentAt,
        statusCode: result.statusCode,
        latencyMs: Math.round(result.latencyMs),
        responseHead: result.responseHead,
        error: result.error,
      });
      const locked = await r.webhooks.lockDelivery(d.id);
      // Another attempt (a manual retry) got there first: this one is on record, the state is theirs.
      if (!locked || locked.attempts !== job.attempts || locked.status !== "pending") return;
      const attempts = locked.attempts + 1;
      if (delivered(result.statusCode)) {
        await r.webhooks.updateDelivery(d.id, { status: "succeeded", attempts, nextAttemptAt: null }, now);
        await r.webhooks.markHealthy(e.id);
        return;
      }
      const next = nextAttemptAt(attempts, now, this.retrySeconds);
      await r.webhooks.updateDelivery(
        d.id,
        { status: next ? "pending" : "failed", attempts, nextAttemptAt: next },
        now,
      );
      if (next) await this.enqueue(r, { deliveryId: d.id, attempts }, next, "auto");
      // One order's unreachable notifyUrl says nothing about the others: never disable that endpoint.
      if (e.kind === "order_notify") return;
      const failing = await r.webhooks.markFailing(e.id, now);
      if (failing?.enabled && failedTooLong(failing.failingSince, now, this.disableAfterMs))
        await this.disable(r, failing, now);
    });
  }

  private async disable(r: Repos, e: WebhookEndpointRecord, now: Date): Promise<void> {
    await r.webhooks.updateEndpoint(
      e.id,
      { enabled: false, disabledReason: "every delivery failed for 3 days" },
      now,
    );
    await r.events.anomaly({
      merchantId: e.merchantId,
      orderId: null,
      outTradeNo: null,
      kind: "webhook_endpoint_disabled",
      source: "webhook",
      facts: { endpointId: e.id, url: e.url, failingSince: e.failingSince?.toISOString() ?? null },
    });
    this.deps.logger.warn({ endpointId: e.id }, "webhook endpoint disabled after failing for too long");
  }
}
