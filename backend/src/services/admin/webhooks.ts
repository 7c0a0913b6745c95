/**
 * The merchant's webhook endpoints and deliveries (admin API, scope webhooks:write). A secret is
 * shown once, when made (create, rotate-secret) and kept sealed; after a rotation the previous one
 * keeps signing for `overlapMs` so receivers can switch without losing a delivery. Another
 * merchant's endpoint or delivery is simply not found. Every change writes one audit row.
 */
import type {
  CreateWebhookEndpointRequest,
  OrderNotifySecret,
  UpdateWebhookEndpointRequest,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookEndpoint,
  WebhookEndpointCreated,
  WebhookEventType,
} from "@minipay/shared";
import { AppError } from "../../domain/errors";
import { formatWebhookSecret } from "../../domain/webhook-signature";
import type { Repos } from "../../db/repositories";
import type {
  DeliveryFilter,
  WebhookAttemptRecord,
  WebhookDeliveryRecord,
  WebhookEndpointRecord,
} from "../../db/repositories/webhooks";
import type { ServiceDeps } from "../deps";
import type { WebhookDispatcher } from "../webhook-dispatch";
import { audit, type AdminActor } from "./actor";
import { decodeIdCursor, pageOf } from "./id-cursor";

/** Checks a URL the way deliveries will (scheme, DNS, addresses): null when fine, else why not. */
export type WebhookUrlCheck = (url: string) => Promise<string | null>;

export interface SecretSealer {
  seal(plaintext: string): string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DELIVERY_ID = /^[1-9][0-9]{0,17}$/;
export const SECRET_OVERLAP_MS = 24 * 3600 * 1000;

export const endpointView = (e: WebhookEndpointRecord): WebhookEndpoint => ({
  id: e.id,
  url: e.url,
  events: e.events as WebhookEventType[],
  description: e.description,
  enabled: e.enabled,
  disabledReason: e.disabledReason,
  previousSecretExpiresAt: e.previousSecretExpiresAt?.toISOString() ?? null,
  createdAt: e.createdAt.toISOString(),
  updatedAt: e.updatedAt.toISOString(),
});

export function deliveryView(d: WebhookDeliveryRecord, attempts: WebhookAttemptRecord[]): WebhookDelivery {
  return {
    id: d.id,
    endpointId: d.endpointId,
    targetUrl: d.targetUrl,
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status,
    attemptCount: d.attempts,
    nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    payload: JSON.parse(d.payload),
    attempts: attempts.map((a) => ({
      at: a.at.toISOString(),
      statusCode: a.statusCode,
      latencyMs: a.latencyMs,
      responseHead: a.responseHead,
      error: a.error,
    })),
  };
}

/** What the audit log keeps of an endpoint: never a secret. */
const audited = (e: WebhookEndpointRecord) => ({
  url: e.url,
  events: e.events,
  description: e.description,
  enabled: e.enabled,
});

export class WebhookAdminService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly box: SecretSealer,
    private readonly checkUrl: WebhookUrlCheck,
    private readonly dispatcher: Pick<WebhookDispatcher, "enqueue">,
    private readonly overlapMs = SECRET_OVERLAP_MS,
  ) {}

  private newSecret(): string {
    return formatWebhookSecret(this.deps.randomBytes(32));
  }

  private async refuseBadUrl(url: string): Promise<void> {
    const why = await this.checkUrl(url);
    if (why) throw new AppError("WEBHOOK_URL_REFUSED", undefined, { field: "url", reason: why });
  }

  private async locked(r: Repos, merchantId: string, id: string): Promise<WebhookEndpointRecord> {
    const e = UUID.test(id) ? await r.webhooks.lockEndpoint(merchantId, id) : null;
    if (!e) throw new AppError("RESOURCE_NOT_FOUND", undefined, { type: "webhook_endpoint", id });
    return e;
  }

  async list(merchantId: string): Promise<WebhookEndpoint[]> {
    return (await this.deps.db.repos.webhooks.listEndpoints(merchantId)).map(endpointView);
  }

  async create(
    merchantId: string,
    req: CreateWebhookEndpointRequest,
    actor: AdminActor,
  ): Promise<WebhookEndpointCreated> {
    await this.refuseBadUrl(req.url);
    const secret = this.newSecret();
    const now = this.deps.now();
    const e = await this.deps.db.transaction(async (r) => {
      const e = await r.webhooks.insertEndpoint({
        merchantId,
        url: req.url,
        events: [...req.events],
        description: req.description,
        secretSealed: this.box.seal(secret),
        now,
      });
      await audit(r, { merchantId, actor, at: now }, "webhook_endpoint.create", ["webhook_endpoint", e.id], {
        before: null,
        after: audited(e),
      });
      return e;
    });
    return { ...endpointView(e), secret };
  }

  async update(
    merchantId: string,
    id: string,
    req: UpdateWebhookEndpointRequest,
    actor: AdminActor,
  ): Promise<WebhookEndpoint> {
    if (req.url !== undefined) await this.refuseBadUrl(req.url);
    const now = this.deps.now();
    return this.deps.db.transaction(async (r) => {
      const before = await this.locked(r, merchantId, id);
      const after = await r.webhooks.updateEndpoint(
        id,
        {
          url: req.url,
          events: req.events ? [...req.events] : undefined,
          description: req.description,
          enabled: req.enabled,
          // Switching it on again starts afresh: no reason, no failure clock.
          ...(req.enabled === true ? { disabledReason: null, failingSince: null } : {}),
        },
        now,
      );
      await audit(r, { merchantId, actor, at: now }, "webhook_endpoint.update", ["webhook_endpoint", id], {
        before: audited(before),
        after: audited(after),
      });
      return endpointView(after);
    });
  }

  /** Delete (soft: its deliveries stay listed; pending ones stop). */
  async remove(merchantId: string, id: string, actor: AdminActor): Promise<void> {
    const now = this.deps.now();
    await this.deps.db.transaction(async (r) => {
      const before = await this.locked(r, merchantId, id);
      await r.webhooks.updateEndpoint(id, { deletedAt: now, enabled: false }, now);
      await audit(r, { merchantId, actor, at: now }, "webhook_endpoint.delete", ["webhook_endpoint", id], {
        before: audited(before),
        after: null,
      });
    });
  }

  /** A new secret, shown once; the current one keeps signing (as well) for the overlap. */
  async rotateSecret(merchantId: string, id: string, actor: AdminActor): Promise<WebhookEndpointCreated> {
    const secret = this.newSecret();
    const now = this.deps.now();
    const until = new Date(now.getTime() + this.overlapMs);
    const e = await this.deps.db.transaction(async (r) => {
      const before = await this.locked(r, merchantId, id);
      const e = await r.webhooks.updateEndpoint(
        id,
        {
          secretSealed: this.box.seal(secret),
          previousSecretSealed: before.secretSealed,
          previousSecretExpiresAt: until,
        },
        now,
      );
      await audit(
        r,
        { merchantId, actor, at: now },
        "webhook_endpoint.rotate_secret",
        ["webhook_endpoint", id],
        {
          before: { previousSecretExpiresAt: before.previousSecretExpiresAt?.toISOString() ?? null },
          after: { previousSecretExpiresAt: until.toISOString() },
        },
      );
      return e;
    });
    return { ...endpointView(e), secret };
  }

  /**
   * The secret signing deliveries to orders' notifyUrl (one per merchant), shown once: made on the
   * first call (or already made, unseen, by the first notifyUrl delivery) and rotated on every later
   * call, the previous one signing as well for the overlap.
   */
  async orderNotifySecret(merchantId: string, actor: AdminActor): Promise<OrderNotifySecret> {
    const secret = this.newSecret();
    const now = this.deps.now();
    const until = new Date(now.getTime() + this.overlapMs);
    return this.deps.db.transaction(async (r) => {
      const sealed = this.box.seal(secret);
      const { endpoint: e, created } = await r.webhooks.orderNotifyEndpoint(merchantId, sealed, now);
      let previousSecretExpiresAt: string | null = null;
      if (!created) {
        await r.webhooks.updateEndpoint(
          e.id,
          { secretSealed: sealed, previousSecretSealed: e.secretSealed, previousSecretExpiresAt: until },
          now,
        );
        previousSecretExpiresAt = until.toISOString();
      }
      await audit(r, { merchantId, actor, at: now }, "order_notify.secret", ["webhook_endpoint", e.id], {
        before: null,
        after: { created, previousSecretExpiresAt },
      });
      return { secret, previousSecretExpiresAt };
    });
  }

  async deliveries(
    merchantId: string,
    q: { filter: DeliveryFilter; limit: number; cursor?: string },
  ): Promise<WebhookDeliveryPage> {
    const before = q.cursor === undefined ? null : decodeIdCursor(q.cursor);
    const { webhooks } = this.deps.db.repos;
    const rows = await webhooks.deliveryPage(merchantId, {
      filter: q.filter,
      limit: q.limit + 1,
      beforeId: before,
    });
    const { page, nextCursor } = pageOf(rows, q.limit);
    const attempts = await webhooks.attemptsFor(page.map((d) => d.id));
    return {
      deliveries: page.map((d) =>
        deliveryView(
          d,
          attempts.filter((a) => a.deliveryId === d.id),
        ),
      ),
      nextCursor,
    };
  }

  /** Send the delivery again now: same event id and body, a fresh timestamp and signature. */
  async retry(merchantId: string, id: string, actor: AdminActor): Promise<WebhookDelivery> {
    const notFound = () => new AppError("RESOURCE_NOT_FOUND", undefined, { type: "webhook_delivery", id });
    if (!DELIVERY_ID.test(id)) throw notFound();
    const now = this.deps.now();
    const d = await this.deps.db.transaction(async (r) => {
      const before = await r.webhooks.lockDelivery(id, merchantId);
      if (!before) throw notFound();
      const d = await r.webhooks.updateDelivery(
        id,
        { status: "pending", attempts: before.attempts, nextAttemptAt: now },
        now,
      );
      await this.dispatcher.enqueue(
        r,
        { deliveryId: id, attempts: d.attempts },
        now,
        `manual-${now.getTime()}`,
      );
      await audit(r, { merchantId, actor, at: now }, "webhook_delivery.retry", ["webhook_delivery", id], {
        before: { status: before.status, attempts: before.attempts },
        after: { status: "pending" },
      });
      return d;
    });
    return deliveryView(d, await this.deps.db.repos.webhooks.attemptsFor([id]));
  }
}
