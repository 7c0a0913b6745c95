/** The order's history (events), what needs a person (anomalies) and what must reach others (outbox). */
import type { OrderState } from "@minipay/shared";
import type { Manager } from "./rows";
import type { EventSource, OrderEventRecord } from "./types";

export interface NewAnomaly {
  merchantId: string | null;
  orderId: string | null;
  outTradeNo: string | null;
  kind: string;
  source: EventSource;
  facts: Record<string, unknown>;
}

export class EventsRepo {
  constructor(private readonly m: Manager) {}

  async record(
    orderId: string,
    type: string,
    source: EventSource,
    data: Record<string, unknown> = {},
    move: { from: OrderState | null; to: OrderState | null } = { from: null, to: null },
  ): Promise<Date> {
    const rows: { created_at: Date }[] = await this.m.query(
      `INSERT INTO order_events (order_id, type, from_state, to_state, source, data) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING created_at`,
      [orderId, type, move.from, move.to, source, JSON.stringify(data)],
    );
    return rows[0]!.created_at;
  }

  async forOrder(orderId: string, types: readonly string[]): Promise<OrderEventRecord[]> {
    return this.select(`WHERE order_id = $1 AND type = ANY($2)`, [orderId, types]);
  }

  /** Every event of an order, oldest first (the merchant's full timeline). */
  async timeline(orderId: string): Promise<OrderEventRecord[]> {
    return this.select(`WHERE order_id = $1`, [orderId]);
  }

  private async select(where: string, params: unknown[]): Promise<OrderEventRecord[]> {
    const rows: {
      type: string;
      from_state: OrderState | null;
      to_state: OrderState | null;
      source: string;
      created_at: Date;
    }[] = await this.m.query(
      `SELECT type, from_state, to_state, source, created_at FROM order_events ${where} ORDER BY id`,
      params,
    );
    return rows.map((e) => ({
      type: e.type,
      from: e.from_state,
      to: e.to_state,
      source: e.source,
      createdAt: new Date(e.created_at),
    }));
  }

  /** Also publishes `anomaly.flagged` to the merchant's webhooks (outbox, same transaction). */
  async anomaly(a: NewAnomaly): Promise<void> {
    const [row]: { id: string }[] = await this.m.query(
      `INSERT INTO anomalies (merchant_id, order_id, out_trade_no, kind, source, facts) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING id::text AS id`,
      [a.merchantId, a.orderId, a.outTradeNo, a.kind, a.source, JSON.stringify(a.facts)],
    );
    // No order_id on this row: it belongs to the merchant, and an order's outbox stays its own events.
    if (a.merchantId && row)
      await this.m.query(
        `INSERT INTO outbox (topic, merchant_id, dedupe_key, payload) VALUES ('anomaly.flagged', $1, $2, $3)
         ON CONFLICT (dedupe_key) DO NOTHING`,
        [
          a.merchantId,
          `anomaly.flagged:${row.id}`,
          JSON.stringify({ anomalyId: row.id, orderId: a.orderId }),
        ],
      );
  }

  /** At most one row per dedupe key: a second paid transition can never fulfil twice. */
  async outbox(
    topic: string,
    orderId: string,
    dedupeKey: string,
    payload: Record<string, unknown>,
  ): Promise<void> {
    await this.m.query(
      `INSERT INTO outbox (topic, order_id, dedupe_key, payload) VALUES ($1, $2, $3, $4)
       ON CONFLICT (dedupe_key) DO NOTHING`,
      [topic, orderId, dedupeKey, JSON.stringify(payload)],
    );
  }
}
