/**
 * Webhook endpoints, deliveries and attempts, and the outbox rows still to be fanned out to them.
 * Endpoints are soft-deleted (their deliveries stay listed); every read is per merchant except the
 * delivery job's, which has only the delivery id.
 */
import { returningRows, type Manager } from "./rows";

export interface WebhookEndpointRecord {
  id: string;
  merchantId: string;
  url: string;
  events: string[];
  description: string;
  secretSealed: string;
  previousSecretSealed: string | null;
  previousSecretExpiresAt: Date | null;
  enabled: boolean;
  disabledReason: string | null;
  failingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
  /** `order_notify`: the merchant's hidden endpoint that signs deliveries to orders' notifyUrl. */
  kind: "endpoint" | "order_notify";
}

export type DeliveryStatus = "pending" | "succeeded" | "failed";

export interface WebhookDeliveryRecord {
  id: string;
  merchantId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  payload: string;
  /** Where this delivery goes when not to its endpoint's URL (an order's notifyUrl). */
  targetUrl: string | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookAttemptRecord {
  id: string;
  deliveryId: string;
  at: Date;
  statusCode: number | null;
  latencyMs: number;
  responseHead: string | null;
  error: string | null;
}

export interface OutboxRecord {
  id: string;
  topic: string;
  orderId: string | null;
  /** The row's own merchant, else its order's. */
  merchantId: string | null;
  payload: Record<string, unknown>;
  createdAt: Date;
}

export interface DeliveryFilter {
  endpointId?: string;
  eventType?: string;
  status?: DeliveryStatus;
}

const date = (v: Date | string | null): Date | null => (v == null ? null : new Date(v));

const endpoint = (r: any): WebhookEndpointRecord => ({
  id: r.id,
  merchantId: r.merchant_id,
  url: r.url,
  events: r.events,
  description: r.description,
  secretSealed: r.secret_sealed,
  previousSecretSealed: r.previous_secret_sealed,
  previousSecretExpiresAt: date(r.previous_secret_expires_at),
  enabled: r.enabled,
  disabledReason: r.disabled_reason,
  failingSince: date(r.failing_since),
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
  deletedAt: date(r.deleted_at),
  kind: r.kind ?? "endpoint",
});

const delivery = (r: any): WebhookDeliveryRecord => ({
  id: String(r.id),
  merchantId: r.merchant_id,
  endpointId: r.endpoint_id,
  eventId: r.event_id,
  eventType: r.event_type,
  payload: r.payload,
  targetUrl: r.target_url ?? null,
  status: r.status,
  attempts: Number(r.attempts),
  nextAttemptAt: date(r.next_attempt_at),
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

const attempt = (r: any): WebhookAttemptRecord => ({
  id: String(r.id),
  deliveryId: String(r.delivery_id),
  at: new Date(r.at),
  statusCode: r.status_code,
  latencyMs: Number(r.latency_ms),
  responseHead: r.response_head,
  error: r.error,
});

export class WebhooksRepo {
  constructor(private readonly m: Manager) {}

  async insertEndpoint(e: {
    merchantId: string;
    url: string;
    events: string[];
    description: string;
    secretSealed: string;
    now: Date;
  }): Promise<WebhookEndpointRecord> {
    const rows = await this.m.query(
      `INSERT INTO webhook_endpoints (merchant_id, url, events, description, secret_sealed, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING *`,
      [e.merchantId, e.url, e.events, e.description, e.secretSealed, e.now],
    );
    return endpoint(rows[0]);
  }

  async listEndpoints(merchantId: string): Promise<WebhookEndpointRecord[]> {
    const rows = await this.m.query(
      `SELECT * FROM webhook_endpoints WHERE merchant_id = $1 AND deleted_at IS NULL AND kind = 'endpoint' ORDER BY created_at, id`,
      [merchantId],
    );
    return rows.map(endpoint);
  }

  /** The merchant's live endpoint, locked for a change; null for another merchant's or a deleted one. */
  async lockEndpoint(merchantId: string, id: string): Promise<WebhookEndpointRecord | null> {
    const rows = await this.m.query(
      `SELECT * FROM webhook_endpoints WHERE id = $1 AND merchant_id = $2 AND deleted_at IS NULL AND kind = 'endpoint' FOR UPDATE`,
      [id, merchantId],
    );
    return rows[0] ? endpoint(rows[0]) : null;
  }

  /** Any endpoint by id, deleted ones too (the delivery job decides what to do with it). */
  async endpointById(id: string): Promise<WebhookEndpointRecord | null> {
    const rows = await this.m.query(`SELECT * FROM webhook_endpoints WHERE id = $1`, [id]);
    return rows[0] ? endpoint(rows[0]) : null;
  }

  async updateEndpoint(
    id: string,
    set: {
      url?: string;
      events?: string[];
      description?: string;
      enabled?: boolean;
      disabledReason?: string | null;
      secretSealed?: string;
      previousSecretSealed?: string | null;
      previousSecretExpiresAt?: Date | null;
      failingSince?: Date | null;
      deletedAt?: Date;
    },
    now: Date,
  ): Promise<WebhookEndpointRecord> {
    const cols: Record<string, unknown> = {
      url: set.url,
      events: set.events,
      description: set.description,
      enabled: set.enabled,
      disabled_reason: set.disabledReason,
      secret_sealed: set.secretSealed,
      previous_secret_sealed: set.previousSecretSealed,
      previous_secret_expires_at: set.previousSecretExpiresAt,
      failing_since: set.failingSince,
      deleted_at: set.deletedAt,
    };
    const names = Object.keys(cols).filter((k) => cols[k] !== undefined);
    const params = [id, now, ...names.map((k) => cols[k])];
    const assigns = names.map((k, i) => `${k} = $${i + 3}`);
    const rows = returningRows<any>(
      await this.m.query(
        `UPDATE webhook_endpoints SET ${[...assigns, "updated_at = $2"].join(", ")} WHERE id = $1 RETURNING *`,
        params,
      ),
    );
    return endpoint(rows[0]);
  }

  /** The merchant's order-notify endpoint (locked), made with `secretSealed` when it has none yet. */
  async orderNotifyEndpoint(
    merchantId: string,
    secretSealed: string,
    now: Date,
  ): Promise<{ endpoint: WebhookEndpointRecord; created: boolean }> {
    const made = await this.m.query(
      `INSERT INTO webhook_endpoints (merchant_id, url, events, description, secret_sealed, created_at, updated_at, kind)
       VALUES ($1, '', '{}', 'order notifyUrl deliveries', $2, $3, $3, 'order_notify')
       ON CONFLICT (merchant_id) WHERE kind = 'order_notify' AND deleted_at IS NULL DO NOTHING RETURNING *`,
      [merchantId, secretSealed, now],
    );
    const rows = await this.m.query(
      `SELECT * FROM webhook_endpoints WHERE merchant_id = $1 AND kind = 'order_notify' AND deleted_at IS NULL FOR UPDATE`,
      [merchantId],
    );
    return { endpoint: endpoint(rows[0]), created: made.length > 0 };
  }

  /** Note a failure; the first one of a run starts the clock that may disable the endpoint. */
  async markFailing(id: string, at: Date): Promise<WebhookEndpointRecord | null> {
    const rows = returningRows<any>(
      await this.m.query(
        `UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $2) WHERE id = $1 RETURNING *`,
        [id, at],
      ),
    );
    return rows[0] ? endpoint(rows[0]) : null;
  }

  async markHealthy(id: string): Promise<void> {
    await this.m.query(
      `UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`,
      [id],
    );
  }

  /** The merchant's enabled endpoints that asked for `eventType`. */
  async subscribed(merchantId: string, eventType: string): Promise<WebhookEndpointRecord[]> {
    const rows = await this.m.query(
      `SELECT * FROM webhook_endpoints
       WHERE merchant_id = $1 AND enabled AND deleted_at IS NULL AND kind = 'endpoint' AND $2 = ANY(events) ORDER BY id`,
      [merchantId, eventType],
    );
    return rows.map(endpoint);
  }

  /** Outbox rows not yet fanned out, oldest first, locked so only one instance takes each. */
  async claimOutbox(limit: number): Promise<OutboxRecord[]> {
    const rows = await this.m.query(
      `SELECT o.id, o.topic, o.order_id, COALESCE(o.merchant_id, ord.merchant_id) AS merchant_id, o.payload, o.created_at
       FROM outbox o LEFT JOIN orders ord ON ord.id = o.order_id
       WHERE o.webhooks_at IS NULL ORDER BY o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED`,
      [limit],
    );
    return rows.map((r: any) => ({
      id: String(r.id),
      topic: r.topic,
      orderId: r.order_id,
      merchantId: r.merchant_id,
      payload: r.payload ?? {},
      createdAt: new Date(r.created_at),
    }));
  }

  async markFannedOut(outboxId: string, eventId: string, at: Date): Promise<void> {
    await this.m.query(`UPDATE outbox SET webhooks_at = $2, event_id = $3 WHERE id = $1`, [
      outboxId,
      at,
      eventId,
    ]);
  }

  /** A delivery of an event to an endpoint, once: null when that pair already has one. */
  async insertDelivery(d: {
    merchantId: string;
    endpointId: string;
    eventId: string;
    eventType: string;
    payload: string;
    now: Date;
    targetUrl?: string;
  }): Promise<WebhookDeliveryRecord | null> {
    const rows = await this.m.query(
      `INSERT INTO webhook_deliveries (merchant_id, endpoint_id, event_id, event_type, payload, next_attempt_at, created_at, updated_at, target_url)
       VALUES ($1, $2, $3, $4, $5, $6, $6, $6, $7) ON CONFLICT (event_id, endpoint_id) DO NOTHING RETURNING *`,
      [d.merchantId, d.endpointId, d.eventId, d.eventType, d.payload, d.now, d.targetUrl ?? null],
    );
    return rows[0] ? delivery(rows[0]) : null;
  }

  /** Pending deliveries whose attempt was due before `before` (their job was lost), oldest first. */
  async overdue(before: Date, limit: number): Promise<WebhookDeliveryRecord[]> {
    const rows = await this.m.query(
      `SELECT * FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at < $1
       ORDER BY next_attempt_at LIMIT $2`,
      [before, limit],
    );
    return rows.map(delivery);
  }

  async deliveryById(id: string): Promise<WebhookDeliveryRecord | null> {
    const rows = await this.m.query(`SELECT * FROM webhook_deliveries WHERE id = $1`, [id]);
    return rows[0] ? delivery(rows[0]) : null;
  }

  /** The delivery locked for an update; `merchantId` limits it to that merchant's. */
  async lockDelivery(id: string, merchantId?: string): Promise<WebhookDeliveryRecord | null> {
    const rows = await this.m.query(
      `SELECT * FROM webhook_deliveries WHERE id = $1 AND ($2::text IS NULL OR merchant_id = $2) FOR UPDATE`,
      [id, merchantId ?? null],
    );
    return rows[0] ? delivery(rows[0]) : null;
  }

  async updateDelivery(
    id: string,
    set: { status: DeliveryStatus; attempts: number; nextAttemptAt: Date | null },
    now: Date,
  ): Promise<WebhookDeliveryRecord> {
    const rows = returningRows<any>(
      await this.m.query(
        `UPDATE webhook_deliveries SET status = $2, attempts = $3, next_attempt_at = $4, updated_at = $5
         WHERE id = $1 RETURNING *`,
        [id, set.status, set.attempts, set.nextAttemptAt, now],
      ),
    );
    return delivery(rows[0]);
  }

  async recordAttempt(a: Omit<WebhookAttemptRecord, "id">): Promise<void> {
    await this.m.query(
      `INSERT INTO webhook_attempts (delivery_id, at, status_code, latency_ms, response_head, error)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [a.deliveryId, a.at, a.statusCode, a.latencyMs, a.responseHead, a.error],
    );
  }

  /** One page, newest first, of the merchant's deliveries older than `beforeId`. */
  async deliveryPage(
    merchantId: string,
    q: { filter: DeliveryFilter; limit: number; beforeId: string | null },
  ): Promise<WebhookDeliveryRecord[]> {
    const f = q.filter;
    const rows = await this.m.query(
      `SELECT * FROM webhook_deliveries
       WHERE merchant_id = $1 AND ($2::uuid IS NULL OR endpoint_id = $2) AND ($3::text IS NULL OR event_type = $3)
         AND ($4::text IS NULL OR status = $4) AND ($5::bigint IS NULL OR id < $5::bigint)
       ORDER BY id DESC LIMIT $6`,
      [merchantId, f.endpointId ?? null, f.eventType ?? null, f.status ?? null, q.beforeId, q.limit],
    );
    return rows.map(delivery);
  }

  /** The attempts of these deliveries, oldest first. */
  async attemptsFor(deliveryIds: readonly string[]): Promise<WebhookAttemptRecord[]> {
    if (deliveryIds.length === 0) return [];
    const rows = await this.m.query(
      `SELECT * FROM webhook_attempts WHERE delivery_id = ANY($1::bigint[]) ORDER BY id`,
      [deliveryIds],
    );
    return rows.map(attempt);
  }
}
