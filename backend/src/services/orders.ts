/**
 * Orders: priced on the server, stock reserved in the same transaction, idempotent per
 * (user, Idempotency-Key). Reads are scoped to the caller's merchant and to the caller: someone
 * else's order is "not found". Quotes price a cart without reserving anything.
 */
import crypto from "node:crypto";
import type { CreateOrderRequest, Order, OrderList, Quote, QuoteRequest } from "@minipay/shared";
import { AppError } from "../domain/errors";
import { newOutTradeNo } from "../domain/out-trade-no";
import { priceOrder, type CatalogEntry } from "../domain/pricing";
import { uniqueViolation } from "../db/repositories/rows";
import type { OrderRecord, ProductRecord, Repos } from "../db/repositories";
import type { ServiceDeps } from "./deps";
import { decodeCursor, encodeCursor } from "./cursor";
import { keysetPage } from "./keyset";
import { orderView } from "./order-view";
import type { RateLimiter, RateRule } from "./rate-limit";

const IDEMPOTENCY_KEY_RE = /^[A-Za-z0-9_.:-]{8,128}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function requestHash(req: CreateOrderRequest): string {
  const canonical = JSON.stringify(req.items.map((i) => [i.productId, i.quantity]));
  return crypto.createHash("sha256").update(canonical).digest("hex");
}

const catalogOf = (rows: ProductRecord[]) =>
  new Map<string, CatalogEntry>(
    rows.map((p) => [
      p.id,
      { id: p.id, name: p.name, priceFen: p.priceFen, stock: p.stock, active: p.active },
    ]),
  );

export interface Shopper {
  id: string;
}

/** A merchant as the shop sees it: disabled ones (gone from the configuration) sell nothing new. */
export interface ShopMerchant {
  id: string;
  disabled?: boolean;
}

export function acceptingShoppers(m: ShopMerchant): void {
  if (m.disabled) throw new AppError("MERCHANT_DISABLED");
}

/** What one shopper may do with orders. */
export interface OrderLimits {
  /** New orders per shopper (replays of an Idempotency-Key are not counted). */
  perUser: RateRule;
  /** Unpaid (created/paying), unexpired orders a shopper may hold at once. */
  maxOpen: number;
  /** Units of one product a shopper may hold across their open orders. */
  maxQuantityPerProduct: number;
}

export class OrderService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly ttlMinutes: number,
    private readonly limits: OrderLimits,
    private readonly limiter: RateLimiter,
  ) {}

  /** The price of a cart now, from the server's catalogue. Reserves nothing, writes nothing. */
  async quote(merchant: ShopMerchant, req: QuoteRequest): Promise<Quote> {
    acceptingShoppers(merchant);
    const merchantId = merchant.id;
    const ids = [...new Set(req.items.map((i) => i.productId))];
    const products = await this.deps.db.repos.products.byIds(merchantId, ids);
    const priced = priceOrder(req.items, catalogOf(products), { requireStock: false });
    const stock = new Map(products.map((p) => [p.id, p.stock]));
    return {
      items: priced.lines.map((l) => ({ ...l, stock: stock.get(l.productId) ?? 0 })),
      totalFen: priced.totalFen,
      currency: "CNY",
      description: priced.description,
      available: priced.inStock,
    };
  }

  async create(
    merchant: ShopMerchant,
    user: Shopper,
    idempotencyKey: string | undefined,
    req: CreateOrderRequest,
  ): Promise<Order> {
    acceptingShoppers(merchant);
    const merchantId = merchant.id;
    if (!idempotencyKey) throw new AppError("IDEMPOTENCY_KEY_REQUIRED");
    if (!IDEMPOTENCY_KEY_RE.test(idempotencyKey))
      throw new AppError("VALIDATION_FAILED", undefined, {
        header: "Idempotency-Key",
        rule: "8-128 of [A-Za-z0-9_.:-]",
      });
    const hash = requestHash(req);
    const { repos } = this.deps.db;
    const existing = await repos.orders.byIdempotencyKey(merchant.id, user.id, idempotencyKey);
    if (existing) return this.replay(existing, hash);
    await this.limiter.take(this.limits.perUser, user.id);

    try {
      // Priced from a plain read; if a product moved before its units were taken, priced again
      // with the rows locked (that attempt cannot find them moved).
      const outcome =
        (await this.place(this.deps.db.repos, merchantId, user.id, idempotencyKey, hash, req, false)) ??
        (await this.deps.db.transaction(async (r) => {
          await r.users.lockForOrder(user.id); // lock order: user, then products
          // The same key may have won since the check above (its order may hold the last units):
          // replay it before pricing can refuse the cart.
          const raced = await r.orders.byIdempotencyKey(merchantId, user.id, idempotencyKey);
          if (raced) return this.replay(raced, hash, r);
          return this.place(r, merchantId, user.id, idempotencyKey, hash, req, true);
        }));
      if (!outcome) throw new Error("products moved while locked");
      return outcome;
    } catch (err) {
      // Two requests with the same key raced: the loser returns the winner's order.
      if (uniqueViolation(err) === "orders_idempotency_uq") {
        const again = await repos.orders.byIdempotencyKey(merchant.id, user.id, idempotencyKey);
        if (again) return this.replay(again, hash);
        // The key is taken by this user's order at another merchant (the app moved): not reusable.
        throw new AppError("IDEMPOTENCY_KEY_REUSED");
      }
      throw err;
    }
  }

  /**
   * Price the cart, then write the order in one statement (create_shop_order: the shopper's caps,
   * the units taken if every product is still as priced, the order, its lines and its event). The
   * products are read plainly, or locked when `locked` (inside a transaction). null (plain read
   * only): the cart was refused, or a product changed between the read and the write; nothing was
   * written and the locked path gives the answer.
   */
  private async place(
    r: Repos,
    merchantId: string,
    userId: string,
    idempotencyKey: string,
    hash: string,
    req: CreateOrderRequest,
    locked: boolean,
  ): Promise<Order | null> {
    const ids = [...new Set(req.items.map((i) => i.productId))];
    const rows = locked
      ? await r.products.lockForPricing(merchantId, ids)
      : await r.products.byIds(merchantId, ids);
    let priced;
    try {
      priced = priceOrder(req.items, catalogOf(rows));
    } catch (err) {
      // Refused from a plain read (sold out, say): answer only after the locked path, which first
      // replays a request with the same key that won meanwhile.
      if (!locked && err instanceof AppError) return null;
      throw err;
    }
    const now = this.deps.now();
    const out = await r.orders.createShopOrder({
      userId,
      merchantId,
      outTradeNo: newOutTradeNo(now, this.deps.randomBytes),
      totalFen: priced.totalFen,
      description: priced.description,
      idempotencyKey,
      requestHash: hash,
      expiresAt: new Date(now.getTime() + this.ttlMinutes * 60_000),
      now,
      lines: priced.lines,
      maxOpen: this.limits.maxOpen,
      maxQuantityPerProduct: this.limits.maxQuantityPerProduct,
    });
    switch (out.result) {
      case "catalog_moved":
        return null;
      case "replay": // the same key won meanwhile
        return this.replay(out.order, hash, r);
      case "too_many_open":
        throw new AppError("TOO_MANY_OPEN_ORDERS", undefined, { limit: out.limit, open: out.open });
      case "quantity_limit":
        throw new AppError("QUANTITY_LIMIT", undefined, {
          productId: out.productId,
          limit: out.limit,
          held: out.held,
        });
      case "created":
        // Everything the detail shows was just written: no need to read it back.
        return orderView(r, out.order, true, {
          items: priced.lines,
          events: [{ type: "created", from: null, to: "created", at: out.createdEventAt.toISOString() }],
          refunds: [],
        });
    }
  }

  private async replay(o: OrderRecord, hash: string, r: Repos = this.deps.db.repos): Promise<Order> {
    if (o.requestHash !== hash) throw new AppError("IDEMPOTENCY_KEY_REUSED");
    return orderView(r, o, true);
  }

  /** The caller's own order, or ORDER_NOT_FOUND (also for other people's and other merchants' orders). */
  async own(merchantId: string, userId: string, orderId: string): Promise<OrderRecord> {
    if (!UUID_RE.test(orderId)) throw new AppError("ORDER_NOT_FOUND");
    const o = await this.deps.db.repos.orders.forUser(merchantId, userId, orderId);
    if (!o) throw new AppError("ORDER_NOT_FOUND");
    return o;
  }

  async get(merchantId: string, userId: string, orderId: string): Promise<Order> {
    return this.view(await this.own(merchantId, userId, orderId));
  }

  /** The detail of an order the caller already found as its own. */
  view(o: OrderRecord): Promise<Order> {
    return orderView(this.deps.db.repos, o, true);
  }

  /** Newest first; the cursor is the last order's (created_at, id), opaque to the client. */
  async list(merchantId: string, userId: string, limit: number, cursor?: string): Promise<OrderList> {
    const after = cursor === undefined ? null : decodeCursor(cursor);
    const { repos } = this.deps.db;
    const rows = await repos.orders.listForUser(merchantId, userId, limit + 1, after);
    const { page, nextCursor } = keysetPage(rows, limit, encodeCursor);
    // The page's lines in one statement, not one per order.
    const items = await repos.orders.itemsOf(page.map((o) => o.id));
    const orders = await Promise.all(
      page.map((o) => orderView(repos, o, false, { items: items.get(o.id) ?? [] })),
    );
    return { orders, nextCursor };
  }
}
