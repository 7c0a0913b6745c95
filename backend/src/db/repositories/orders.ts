/**
 * Orders and their lines. Every read that a shopper can trigger is scoped by merchant and user;
 * state changes are conditional on the state the caller read, so a concurrent change makes them a
 * no-op instead of a double move.
 */
import type { OrderState } from "@minipay/shared";
import { num, returningRows, type Manager } from "./rows";
import type { EventSource, OrderItemRecord, OrderRecord, OrderSource } from "./types";

interface OrderRow {
  id: string;
  user_id: string | null;
  source: OrderSource;
  merchant_id: string;
  out_trade_no: string;
  state: OrderState;
  total_fen: string;
  refunded_fen: string;
  currency: string;
  description: string;
  idempotency_key: string;
  request_hash: string;
  transaction_id: string | null;
  stock_released: boolean;
  expires_at: Date;
  paid_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

function toOrder(r: OrderRow): OrderRecord {
  return {
    id: r.id,
    userId: r.user_id,
    source: r.source,
    merchantId: r.merchant_id,
    outTradeNo: r.out_trade_no,
    state: r.state,
    totalFen: num(r.total_fen),
    refundedFen: num(r.refunded_fen),
    currency: r.currency,
    description: r.description,
    idempotencyKey: r.idempotency_key,
    requestHash: r.request_hash,
    transactionId: r.transaction_id,
    stockReleased: r.stock_released,
    expiresAt: new Date(r.expires_at),
    paidAt: r.paid_at ? new Date(r.paid_at) : null,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

export interface NewOrder {
  /** The shopper; null for an order a merchant's server created (source merchant_api). */
  userId: string | null;
  merchantId: string;
  outTradeNo: string;
  totalFen: number;
  description: string;
  idempotencyKey: string;
  requestHash: string;
  expiresAt: Date;
  now: Date;
}

/** What a shop create writes: the order's fields and its priced lines. */
export interface NewShopOrder extends NewOrder {
  userId: string;
  lines: readonly OrderItemRecord[];
  /** The shopper's caps: unpaid unexpired orders, and units of one product across them. */
  maxOpen: number;
  maxQuantityPerProduct: number;
}

/** How create_shop_order ended (migration CreateOrder). */
export type ShopOrderOutcome =
  | { result: "created"; order: OrderRecord; createdEventAt: Date }
  | { result: "replay"; order: OrderRecord }
  | { result: "too_many_open"; limit: number; open: number }
  | { result: "quantity_limit"; productId: string; limit: number; held: number }
  | { result: "catalog_moved" };

/** Keyset position in a shopper's list: newest first by (created_at, id). */
export interface ListPosition {
  createdAt: Date;
  id: string;
}

/** The merchant's filters on its order list (admin): every field optional; `createdTo`/`paidTo` exclusive. */
export interface AdminOrderFilter {
  states?: OrderState[];
  createdFrom?: Date;
  createdTo?: Date;
  paidFrom?: Date;
  paidTo?: Date;
  minFen?: number;
  maxFen?: number;
  /** The order's own number or any WeChat number it used. */
  outTradeNo?: string;
  transactionId?: string;
  userId?: string;
}

export class OrdersRepo {
  constructor(private readonly m: Manager) {}

  async insert(o: NewOrder): Promise<OrderRecord> {
    const rows: OrderRow[] = await this.m.query(
      `INSERT INTO orders (user_id, merchant_id, out_trade_no, state, total_fen, description, idempotency_key,
         request_hash, expires_at, created_at, updated_at, source)
       VALUES ($1, $2, $3, 'created', $4, $5, $6, $7, $8, $9, $9, $10) RETURNING *`,
      [
        o.userId,
        o.merchantId,
        o.outTradeNo,
        o.totalFen,
        o.description,
        o.idempotencyKey,
        o.requestHash,
        o.expiresAt,
        o.now,
        o.userId === null ? "merchant_api" : "shop",
      ],
    );
    return toOrder(rows[0]!);
  }

  /**
   * A shop order in one statement: caps, stock taken if the products are still as priced, order,
   * lines and 'created' event (migration CreateOrder).
   */
  async createShopOrder(o: NewShopOrder): Promise<ShopOrderOutcome> {
    const rows: { result: string; detail: any; order_row: OrderRow | null; event_at: Date | null }[] =
      await this.m.query(
        `SELECT * FROM create_shop_order($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
        [
          o.merchantId,
          o.userId,
          o.idempotencyKey,
          o.requestHash,
          o.maxOpen,
          o.maxQuantityPerProduct,
          o.now,
          o.outTradeNo,
          o.totalFen,
          o.description,
          o.expiresAt,
          o.lines.map((l) => l.productId),
          o.lines.map((l) => l.name),
          o.lines.map((l) => l.unitPriceFen),
          o.lines.map((l) => l.quantity),
          o.lines.map((l) => l.subtotalFen),
        ],
      );
    const r = rows[0]!;
    switch (r.result) {
      case "created":
        return { result: "created", order: toOrder(r.order_row!), createdEventAt: new Date(r.event_at!) };
      case "replay":
        return { result: "replay", order: toOrder(r.order_row!) };
      case "too_many_open":
        return { result: "too_many_open", limit: r.detail.limit, open: r.detail.open };
      case "quantity_limit":
        return { result: "quantity_limit", ...r.detail };
      case "catalog_moved":
        return { result: "catalog_moved" };
      default:
        throw new Error(`create_shop_order answered ${r.result}`);
    }
  }

  async insertItems(orderId: string, merchantId: string, lines: OrderItemRecord[]): Promise<void> {
    for (const l of lines)
      await this.m.query(
        `INSERT INTO order_items (order_id, merchant_id, product_id, name, unit_price_fen, quantity, subtotal_fen)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [orderId, merchantId, l.productId, l.name, l.unitPriceFen, l.quantity, l.subtotalFen],
      );
  }

  async items(orderId: string): Promise<OrderItemRecord[]> {
    return (await this.itemsOf([orderId])).get(orderId) ?? [];
  }

  /** The lines of several orders in one statement (a page of a list), each order's in line order. */
  async itemsOf(orderIds: readonly string[]): Promise<Map<string, OrderItemRecord[]>> {
    const byOrder = new Map<string, OrderItemRecord[]>();
    if (orderIds.length === 0) return byOrder;
    const rows: {
      order_id: string;
      product_id: string;
      name: string;
      unit_price_fen: string;
      quantity: number;
      subtotal_fen: string;
    }[] = await this.m.query(
      `SELECT order_id, product_id, name, unit_price_fen, quantity, subtotal_fen FROM order_items
       WHERE order_id = ANY($1::uuid[]) ORDER BY id`,
      [orderIds],
    );
    for (const i of rows) {
      const lines = byOrder.get(i.order_id) ?? [];
      lines.push({
        productId: i.product_id,
        name: i.name,
        unitPriceFen: num(i.unit_price_fen),
        quantity: Number(i.quantity),
        subtotalFen: num(i.subtotal_fen),
      });
      byOrder.set(i.order_id, lines);
    }
    return byOrder;
  }

  /** A shopper's own order in their merchant; another user's or merchant's is simply absent. */
  async forUser(merchantId: string, userId: string, id: string): Promise<OrderRecord | null> {
    const rows: OrderRow[] = await this.m.query(
      `SELECT * FROM orders WHERE id = $1 AND user_id = $2 AND merchant_id = $3`,
      [id, userId, merchantId],
    );
    return rows[0] ? toOrder(rows[0]) : null;
  }

  /** Any order of the merchant, by id (jobs and admin; shopper reads use forUser). */
  async byId(merchantId: string, id: string): Promise<OrderRecord | null> {
    const rows: OrderRow[] = await this.m.query(`SELECT * FROM orders WHERE id = $1 AND merchant_id = $2`, [
      id,
      merchantId,
    ]);
    return rows[0] ? toOrder(rows[0]) : null;
  }

  async byIdempotencyKey(merchantId: string, userId: string, key: string): Promise<OrderRecord | null> {
    const rows: OrderRow[] = await this.m.query(
      `SELECT * FROM orders WHERE user_id = $1 AND idempotency_key = $2 AND merchant_id = $3`,
      [userId, key, merchantId],
    );
    return rows[0] ? toOrder(rows[0]) : null;
  }

  async byTransactionId(transactionId: string): Promise<OrderRecord | null> {
    const rows: OrderRow[] = await this.m.query(`SELECT * FROM orders WHERE transaction_id = $1`, [
      transactionId,
    ]);
    return rows[0] ? toOrder(rows[0]) : null;
  }

  /** Inside a transaction: the row locked for update (settle), found by any of its WeChat numbers. */
  async lockByOutTradeNo(merchantId: string, outTradeNo: string): Promise<OrderRecord | null> {
    const rows: OrderRow[] = await this.m.query(
      `SELECT * FROM orders WHERE merchant_id = $1 AND (out_trade_no = $2 OR id = (
         SELECT order_id FROM trade_numbers WHERE merchant_id = $1 AND out_trade_no = $2)) FOR UPDATE`,
      [merchantId, outTradeNo],
    );
    return rows[0] ? toOrder(rows[0]) : null;
  }

  /** Inside a transaction: lock one order; with skipLocked another process's claim wins. */
  async lock(
    merchantId: string,
    id: string,
    opts: { skipLocked?: boolean } = {},
  ): Promise<OrderRecord | null> {
    const rows: OrderRow[] = await this.m.query(
      `SELECT * FROM orders WHERE id = $1 AND merchant_id = $2 FOR UPDATE${opts.skipLocked ? " SKIP LOCKED" : ""}`,
      [id, merchantId],
    );
    return rows[0] ? toOrder(rows[0]) : null;
  }

  /**
   * Move the state only if it is still `from`, and write the move's event row (and its outbox row,
   * when given) in the same statement; false, and nothing written, when someone else moved it first.
   */
  async moveState(
    id: string,
    from: OrderState,
    to: OrderState,
    set: { paidAt?: Date; transactionId?: string | null },
    record: {
      source: EventSource;
      data: Record<string, unknown>;
      outbox: { topic: string; dedupeKey: string; payload: Record<string, unknown> } | null;
    },
  ): Promise<boolean> {
    const res: { id: string }[] = await this.m.query(
      `WITH moved AS (
         UPDATE orders SET state = $3, updated_at = now(),
           paid_at = COALESCE($4, paid_at), transaction_id = COALESCE($5, transaction_id)
         WHERE id = $1 AND state = $2 RETURNING id),
       event AS (
         INSERT INTO order_events (order_id, type, from_state, to_state, source, data)
         SELECT id, 'transition', $2, $3, $6, $7 FROM moved),
       outbox_row AS (
         INSERT INTO outbox (topic, order_id, dedupe_key, payload)
         SELECT $8, id, $9, $10 FROM moved WHERE $8::text IS NOT NULL
         ON CONFLICT (dedupe_key) DO NOTHING)
       SELECT id FROM moved`,
      [
        id,
        from,
        to,
        set.paidAt ?? null,
        set.transactionId ?? null,
        record.source,
        JSON.stringify(record.data),
        record.outbox?.topic ?? null,
        record.outbox?.dedupeKey ?? null,
        record.outbox ? JSON.stringify(record.outbox.payload) : null,
      ],
    );
    return res.length > 0;
  }

  /** Mark the reserved stock as given back; true only for the first caller. */
  async markStockReleased(id: string): Promise<boolean> {
    const res = await this.m.query(
      `UPDATE orders SET stock_released = true WHERE id = $1 AND stock_released = false RETURNING id`,
      [id],
    );
    return returningRows(res).length > 0;
  }

  /** The order holds its stock again (a late payment took it back). */
  async markStockHeld(id: string): Promise<void> {
    await this.m.query(`UPDATE orders SET stock_released = false WHERE id = $1`, [id]);
  }

  async listForUser(
    merchantId: string,
    userId: string,
    limit: number,
    after: ListPosition | null,
  ): Promise<OrderRecord[]> {
    const rows: OrderRow[] = after
      ? await this.m.query(
          `SELECT * FROM orders WHERE user_id = $1 AND merchant_id = $2 AND (created_at, id) < ($3::timestamptz, $4::uuid)
           ORDER BY created_at DESC, id DESC LIMIT $5`,
          [userId, merchantId, after.createdAt, after.id, limit],
        )
      : await this.m.query(
          `SELECT * FROM orders WHERE user_id = $1 AND merchant_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3`,
          [userId, merchantId, limit],
        );
    return rows.map(toOrder);
  }

  /** Orders of any merchant still "paying" since before `since` and not yet expired: notify may be lost. */
  async payingSince(since: Date, now: Date, limit: number): Promise<OrderRecord[]> {
    const rows: OrderRow[] = await this.m.query(
      `SELECT * FROM orders WHERE state = 'paying' AND updated_at < $1 AND expires_at > $2
       ORDER BY updated_at LIMIT $3`,
      [since, now, limit],
    );
    return rows.map(toOrder);
  }

  /** Unpaid orders of any merchant past their expiry. */
  async dueForExpiry(now: Date, limit: number): Promise<OrderRecord[]> {
    const rows: OrderRow[] = await this.m.query(
      `SELECT * FROM orders WHERE state IN ('created','paying') AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
      [now, limit],
    );
    return rows.map(toOrder);
  }

  /**
   * One page of the merchant's orders, newest first by (created_at, id), after `after` (keyset,
   * never OFFSET: orders_merchant_created_idx serves a deep page as fast as the first).
   */
  async adminPage(
    merchantId: string,
    q: { filter: AdminOrderFilter; limit: number; after: ListPosition | null },
  ): Promise<OrderRecord[]> {
    const { filter: f, limit, after } = q;
    const rows: OrderRow[] = await this.m.query(
      `SELECT * FROM orders o WHERE o.merchant_id = $1
         AND ($2::text[] IS NULL OR o.state = ANY($2::text[]))
         AND ($3::timestamptz IS NULL OR o.created_at >= $3)
         AND ($4::timestamptz IS NULL OR o.created_at < $4)
         AND ($5::timestamptz IS NULL OR o.paid_at >= $5)
         AND ($6::timestamptz IS NULL OR o.paid_at < $6)
         AND ($7::bigint IS NULL OR o.total_fen >= $7)
         AND ($8::bigint IS NULL OR o.total_fen <= $8)
         AND ($9::text IS NULL OR o.out_trade_no = $9 OR o.id IN (
               SELECT t.order_id FROM trade_numbers t WHERE t.merchant_id = $1 AND t.out_trade_no = $9))
         AND ($10::text IS NULL OR o.transaction_id = $10)
         AND ($11::uuid IS NULL OR o.user_id = $11)
         AND ($12::timestamptz IS NULL OR (o.created_at, o.id) < ($12::timestamptz, $13::uuid))
       ORDER BY o.created_at DESC, o.id DESC LIMIT $14`,
      [
        merchantId,
        f.states && f.states.length > 0 ? f.states : null,
        f.createdFrom ?? null,
        f.createdTo ?? null,
        f.paidFrom ?? null,
        f.paidTo ?? null,
        f.minFen ?? null,
        f.maxFen ?? null,
        f.outTradeNo ?? null,
        f.transactionId ?? null,
        f.userId ?? null,
        after?.createdAt ?? null,
        after?.id ?? null,
        limit,
      ],
    );
    return rows.map(toOrder);
  }

  /** Orders made on each local day from `from` to `to` (inclusive, YYYY-MM-DD in `tz`), by state. */
  async createdByDay(
    merchantId: string,
    from: string,
    to: string,
    tz: string,
  ): Promise<{ day: string; state: OrderState; n: number }[]> {
    const rows: { day: string; state: OrderState; n: number }[] = await this.m.query(
      `SELECT to_char(created_at AT TIME ZONE $4, 'YYYY-MM-DD') AS day, state, count(*)::int AS n
       FROM orders WHERE merchant_id = $1
         AND created_at >= ($2::date::timestamp AT TIME ZONE $4)
         AND created_at < (($3::date + 1)::timestamp AT TIME ZONE $4)
       GROUP BY 1, 2`,
      [merchantId, from, to, tz],
    );
    return rows.map((r) => ({ day: r.day, state: r.state, n: Number(r.n) }));
  }

  /** Orders paid on each local day: how many, their totals and what was refunded of them. */
  async paidByDay(
    merchantId: string,
    from: string,
    to: string,
    tz: string,
  ): Promise<{ day: string; n: number; fen: number; refundedFen: number }[]> {
    const rows: { day: string; n: number; fen: string; refunded: string }[] = await this.m.query(
      `SELECT to_char(paid_at AT TIME ZONE $4, 'YYYY-MM-DD') AS day, count(*)::int AS n,
         sum(total_fen)::text AS fen, sum(refunded_fen)::text AS refunded
       FROM orders WHERE merchant_id = $1 AND paid_at IS NOT NULL
         AND paid_at >= ($2::date::timestamp AT TIME ZONE $4)
         AND paid_at < (($3::date + 1)::timestamp AT TIME ZONE $4)
       GROUP BY 1`,
      [merchantId, from, to, tz],
    );
    return rows.map((r) => ({ day: r.day, n: Number(r.n), fen: num(r.fen), refundedFen: num(r.refunded) }));
  }
}
