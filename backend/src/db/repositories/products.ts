/**
 * The catalogue, per merchant, through the TypeORM entity. Stock changes are relative updates so
 * they stay correct under concurrency; `lockForPricing` takes the row locks an order needs.
 */
import { ProductEntity } from "../entities/product";
import type { Manager } from "./rows";
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

  async byIds(merchantId: string, ids: string[]): Promise<ProductRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.repo
      .createQueryBuilder("p")
      .where("p.merchant_id = :merchantId AND p.id IN (:...ids)", { merchantId, ids })
      .getMany();
    return rows.map(toRecord);
  }

  /** Inside a transaction: lock the rows in id order (no deadlocks between two orders). */
  async lockForPricing(merchantId: string, ids: string[]): Promise<ProductRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.repo
      .createQueryBuilder("p")
      .where("p.merchant_id = :merchantId AND p.id IN (:...ids)", { merchantId, ids })
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
}
