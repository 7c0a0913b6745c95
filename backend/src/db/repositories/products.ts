/**
 * The catalogue, per merchant, through the TypeORM entity. Stock changes are relative updates so
 * they stay correct under concurrency; `lockForPricing` takes the row locks an order needs.
 */
import { ProductEntity } from "../entities/product";
import { num, returningRows, type Manager } from "./rows";
import type { ProductRecord } from "./types";

const toRecord = (p: ProductEntity): ProductRecord => ({
  merchantId: p.merchantId,
  id: p.id,
  name: p.name,
  description: p.description,
  priceFen: p.priceFen,
  stock: p.stock,
  imageUrl: p.imageUrl,
  active: p.active,
  sort: p.sort,
});

export type NewProduct = Omit<ProductRecord, "merchantId" | "active" | "imageUrl"> & {
  imageUrl?: string | null;
};

interface ProductRow {
  merchant_id: string;
  id: string;
  name: string;
  description: string;
  price_fen: string;
  stock: number;
  image_url: string | null;
  active: boolean;
  sort: number;
}

const fromRow = (r: ProductRow): ProductRecord => ({
  merchantId: r.merchant_id,
  id: r.id,
  name: r.name,
  description: r.description,
  priceFen: num(r.price_fen),
  stock: Number(r.stock),
  imageUrl: r.image_url,
  active: r.active,
  sort: Number(r.sort),
});

const PRODUCT_COLUMNS = `merchant_id, id, name, description, price_fen, stock, image_url, active, sort`;

export type ProductPatch = Partial<
  Pick<ProductRecord, "name" | "description" | "priceFen" | "imageUrl" | "active">
>;

export class ProductsRepo {
  constructor(private readonly m: Manager) {}

  private get repo() {
    return this.m.getRepository(ProductEntity);
  }

  async listActive(merchantId: string): Promise<ProductRecord[]> {
    const rows = await this.repo.find({
      where: { merchantId, active: true },
      order: { sort: "ASC", id: "ASC" },
    });
    return rows.map(toRecord);
  }

  private ofMerchant(merchantId: string, ids: string[]) {
    return this.repo
      .createQueryBuilder("p")
      .where("p.merchant_id = :merchantId AND p.id IN (:...ids)", { merchantId, ids });
  }

  async byIds(merchantId: string, ids: string[]): Promise<ProductRecord[]> {
    if (ids.length === 0) return [];
    return (await this.ofMerchant(merchantId, ids).getMany()).map(toRecord);
  }

  /** Inside a transaction: lock the rows in id order (no deadlocks between two orders). */
  async lockForPricing(merchantId: string, ids: string[]): Promise<ProductRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.ofMerchant(merchantId, ids)
      .orderBy("p.id")
      .setLock("pessimistic_write")
      .getMany();
    return rows.map(toRecord);
  }

  async take(merchantId: string, id: string, quantity: number): Promise<void> {
    await this.repo.decrement({ merchantId, id }, "stock", quantity);
  }

  /** Give an order's reserved units back to its merchant's products. */
  async restockFromOrder(orderId: string): Promise<void> {
    // Lock the rows in id order first, as a create does: the UPDATE alone would lock them in the
    // cart's order and could deadlock with a create of the same products.
    await this.m.query(
      `SELECT 1 FROM order_items i JOIN products p ON p.merchant_id = i.merchant_id AND p.id = i.product_id
       WHERE i.order_id = $1 ORDER BY p.id FOR UPDATE OF p`,
      [orderId],
    );
    await this.m.query(
      `UPDATE products p SET stock = p.stock + i.quantity FROM order_items i
       WHERE i.order_id = $1 AND i.merchant_id = p.merchant_id AND i.product_id = p.id`,
      [orderId],
    );
  }

  /**
   * Take an order's units again (a late payment on an order whose stock went back): all lines or
   * none. Locks the product rows first, in id order, like an order does.
   */
  async retakeForOrder(orderId: string): Promise<boolean> {
    // Every line has its product row (a foreign key), so an inner join sees them all.
    const rows: { product_id: string; quantity: number; stock: number }[] = await this.m.query(
      `SELECT i.product_id, i.quantity, p.stock FROM order_items i
       JOIN products p ON p.merchant_id = i.merchant_id AND p.id = i.product_id
       WHERE i.order_id = $1 ORDER BY i.product_id FOR UPDATE OF p`,
      [orderId],
    );
    const need = new Map<string, { quantity: number; stock: number }>();
    for (const r of rows) {
      const n = need.get(r.product_id);
      need.set(r.product_id, { quantity: (n?.quantity ?? 0) + Number(r.quantity), stock: r.stock });
    }
    if ([...need.values()].some((n) => n.stock < n.quantity)) return false;
    await this.m.query(
      `UPDATE products p SET stock = p.stock - i.quantity FROM order_items i
       WHERE i.order_id = $1 AND i.merchant_id = p.merchant_id AND i.product_id = p.id`,
      [orderId],
    );
    return true;
  }

  async count(merchantId: string): Promise<number> {
    return this.repo.count({ where: { merchantId } });
  }

  async insertMissing(merchantId: string, products: NewProduct[]): Promise<void> {
    await this.repo
      .createQueryBuilder()
      .insert()
      .values(products.map((p) => ({ ...p, merchantId, imageUrl: p.imageUrl ?? null, active: true })))
      .orIgnore()
      .execute();
  }

  /** Every product of the merchant, active or not (the admin view). */
  async listAll(merchantId: string): Promise<ProductRecord[]> {
    const rows: ProductRow[] = await this.m.query(
      `SELECT ${PRODUCT_COLUMNS} FROM products WHERE merchant_id = $1 ORDER BY sort, id`,
      [merchantId],
    );
    return rows.map(fromRow);
  }

  /** One of this merchant's products, locked for the caller's transaction. */
  async lock(merchantId: string, id: string): Promise<ProductRecord | null> {
    const rows: ProductRow[] = await this.m.query(
      `SELECT ${PRODUCT_COLUMNS} FROM products WHERE merchant_id = $1 AND id = $2 FOR UPDATE`,
      [merchantId, id],
    );
    return rows[0] ? fromRow(rows[0]) : null;
  }

  /** A new product at the end of the list; a taken id raises the unique violation `products_pkey`. */
  async create(p: Omit<ProductRecord, "sort">): Promise<ProductRecord> {
    const rows: ProductRow[] = await this.m.query(
      `INSERT INTO products (merchant_id, id, name, description, price_fen, stock, image_url, active, sort)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
         (SELECT COALESCE(max(sort), 0) + 1 FROM products WHERE merchant_id = $1))
       RETURNING ${PRODUCT_COLUMNS}`,
      [p.merchantId, p.id, p.name, p.description, p.priceFen, p.stock, p.imageUrl, p.active],
    );
    return fromRow(rows[0]!);
  }

  async update(merchantId: string, id: string, patch: ProductPatch): Promise<ProductRecord | null> {
    const res = await this.m.query(
      `UPDATE products SET name = COALESCE($3, name), description = COALESCE($4, description),
         price_fen = COALESCE($5, price_fen), image_url = CASE WHEN $6 THEN $7 ELSE image_url END,
         active = COALESCE($8, active)
       WHERE merchant_id = $1 AND id = $2 RETURNING ${PRODUCT_COLUMNS}`,
      [
        merchantId,
        id,
        patch.name ?? null,
        patch.description ?? null,
        patch.priceFen ?? null,
        patch.imageUrl !== undefined,
        patch.imageUrl ?? null,
        patch.active ?? null,
      ],
    );
    const rows = returningRows<ProductRow>(res);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  /** Add `delta` units (negative removes); null when the product is unknown or stock would go below zero. */
  async adjustStock(merchantId: string, id: string, delta: number): Promise<ProductRecord | null> {
    const res = await this.m.query(
      `UPDATE products SET stock = stock + $3 WHERE merchant_id = $1 AND id = $2 AND stock + $3 >= 0
       RETURNING ${PRODUCT_COLUMNS}`,
      [merchantId, id, delta],
    );
    const rows = returningRows<ProductRow>(res);
    return rows[0] ? fromRow(rows[0]) : null;
  }
}
