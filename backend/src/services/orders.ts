/**
 * Orders: priced on the server, stock reserved in the same transaction, idempotent per
 * (user, Idempotency-Key). Reads are scoped to the caller: someone else's order is "not found".
 */
import crypto from "node:crypto";
import type { CreateOrderRequest, Order, OrderList } from "@minipay/shared";
import { AppError } from "../domain/errors";
import { newOutTradeNo } from "../domain/out-trade-no";
import { priceOrder, type CatalogEntry } from "../domain/pricing";
import type { ServiceDeps } from "./deps";
import { loadOrderView, type OrderRow } from "./order-view";

const IDEMPOTENCY_KEY_RE = /^[A-Za-z0-9_.:-]{8,128}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function requestHash(req: CreateOrderRequest): string {
  const canonical = JSON.stringify(req.items.map((i) => [i.productId, i.quantity]));
  return crypto.createHash("sha256").update(canonical).digest("hex");
}

export class OrderService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly merchantId: () => string,
    private readonly ttlMinutes: number,
  ) {}

  async create(userId: string, idempotencyKey: string | undefined, req: CreateOrderRequest): Promise<Order> {
    if (!idempotencyKey) throw new AppError("IDEMPOTENCY_KEY_REQUIRED");
    if (!IDEMPOTENCY_KEY_RE.test(idempotencyKey))
      throw new AppError("VALIDATION_FAILED", undefined, {
        header: "Idempotency-Key",
        rule: "8-128 of [A-Za-z0-9_.:-]",
      });
    const hash = requestHash(req);
    const existing = await this.findByKey(userId, idempotencyKey);
    if (existing) return this.replay(existing, hash);

    try {
      return await this.deps.ds.transaction(async (em) => {
        const ids = [...new Set(req.items.map((i) => i.productId))];
        // Lock the product rows so two orders cannot both take the last unit.
        const rows = await em.query(
          `SELECT id, name, price_fen, stock, active FROM products WHERE id = ANY($1) ORDER BY id FOR UPDATE`,
          [ids],
        );
        const catalog = new Map<string, CatalogEntry>(
          rows.map((r: any) => [
            r.id,
            { id: r.id, name: r.name, priceFen: Number(r.price_fen), stock: r.stock, active: r.active },
          ]),
        );
        const priced = priceOrder(req.items, catalog);
        const now = this.deps.now();
        const expiresAt = new Date(now.getTime() + this.ttlMinutes * 60_000);
        const [order] = await em.query(
          `INSERT INTO orders (user_id, merchant_id, out_trade_no, state, total_fen, description, idempotency_key, request_hash, expires_at, created_at, updated_at)
           VALUES ($1, $2, $3, 'created', $4, $5, $6, $7, $8, $9, $9) RETURNING *`,
          [
            userId,
            this.merchantId(),
            newOutTradeNo(now, this.deps.randomBytes),
            priced.totalFen,
            priced.description,
            idempotencyKey,
            hash,
            expiresAt,
            now,
          ],
        );
        for (const l of priced.lines) {
          await em.query(
            `INSERT INTO order_items (order_id, product_id, name, unit_price_fen, quantity, subtotal_fen) VALUES ($1,$2,$3,$4,$5,$6)`,
            [order.id, l.productId, l.name, l.unitPriceFen, l.quantity, l.subtotalFen],
          );
          await em.query(`UPDATE products SET stock = stock - $2 WHERE id = $1`, [l.productId, l.quantity]);
        }
        await em.query(
          `INSERT INTO order_events (order_id, type, from_state, to_state, source, data) VALUES ($1, 'created', NULL, 'created', 'api', $2)`,
          [order.id, JSON.stringify({ totalFen: priced.totalFen })],
        );
        return loadOrderView(em, order, true);
      });
    } catch (err: any) {
      // Two requests with the same key raced: the loser returns the winner's order.
      if (
        err?.code === "23505" &&
        String(err?.constraint ?? err?.driverError?.constraint) === "orders_idempotency_uq"
      ) {
        const again = await this.findByKey(userId, idempotencyKey);
        if (again) return this.replay(again, hash);
      }
      throw err;
    }
  }

  private async findByKey(userId: string, key: string): Promise<OrderRow | undefined> {
    const rows = await this.deps.ds.query(
      `SELECT * FROM orders WHERE user_id = $1 AND idempotency_key = $2`,
      [userId, key],
    );
    return rows[0];
  }

  private async replay(row: OrderRow, hash: string): Promise<Order> {
    if (row.request_hash !== hash) throw new AppError("IDEMPOTENCY_KEY_REUSED");
    return loadOrderView(this.deps.ds, row, true);
  }

  /** The caller's own order row, or ORDER_NOT_FOUND (also for other people's orders: no IDOR oracle). */
  async ownRow(userId: string, orderId: string): Promise<OrderRow> {
    if (!UUID_RE.test(orderId)) throw new AppError("ORDER_NOT_FOUND");
    const rows = await this.deps.ds.query(`SELECT * FROM orders WHERE id = $1 AND user_id = $2`, [
      orderId,
      userId,
    ]);
    if (!rows[0]) throw new AppError("ORDER_NOT_FOUND");
    return rows[0];
  }

  async get(userId: string, orderId: string): Promise<Order> {
    return loadOrderView(this.deps.ds, await this.ownRow(userId, orderId), true);
  }

  /** Newest first; the cursor is the last order's (created_at, id), opaque to the client. */
  async list(userId: string, limit: number, cursor?: string): Promise<OrderList> {
    let after: { t: string; id: string } | null = null;
    if (cursor) {
      try {
        after = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
        if (typeof after?.t !== "string" || typeof after?.id !== "string" || !UUID_RE.test(after.id))
          throw new Error();
        if (Number.isNaN(Date.parse(after.t))) throw new Error();
      } catch {
        throw new AppError("VALIDATION_FAILED", undefined, { field: "cursor" });
      }
    }
    const rows: OrderRow[] = after
      ? await this.deps.ds.query(
          `SELECT * FROM orders WHERE user_id = $1 AND (created_at, id) < ($2::timestamptz, $3::uuid)
           ORDER BY created_at DESC, id DESC LIMIT $4`,
          [userId, after.t, after.id, limit + 1],
        )
      : await this.deps.ds.query(
          `SELECT * FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
          [userId, limit + 1],
        );
    const page = rows.slice(0, limit);
    const orders = [];
    for (const r of page) orders.push(await loadOrderView(this.deps.ds, r, false));
    const last = page[page.length - 1];
    const nextCursor =
      rows.length > limit && last
        ? Buffer.from(JSON.stringify({ t: new Date(last.created_at).toISOString(), id: last.id })).toString(
            "base64url",
          )
        : null;
    return { orders, nextCursor };
  }
}
