/**
 * The merchant's catalogue, as the merchant manages it. Shoppers see active products only
 * (CatalogService.list reads ProductsRepo.listActive), and an order keeps the price it was made at
 * (order_items.unit_price_fen), so editing a price never changes an existing order.
 */
import type {
  AdminProduct,
  CreateProductRequest,
  StockAdjustRequest,
  UpdateProductRequest,
} from "@minipay/shared";
import { AppError } from "../../domain/errors";
import type { ProductRecord } from "../../db/repositories";
import { uniqueViolation } from "../../db/repositories/rows";
import type { Repos } from "../../db/repositories";
import type { ServiceDeps } from "../deps";
import { audit, type AdminActor } from "./actor";

/** The record as the admin API shows it: everything but the merchant (the key already names it). */
/** The merchant's product, locked for the change, or RESOURCE_NOT_FOUND. */
async function lockProduct(r: Repos, merchantId: string, id: string): Promise<ProductRecord> {
  const p = await r.products.lock(merchantId, id);
  if (!p) throw notFound(id);
  return p;
}

export const productView = ({ merchantId: _merchant, ...p }: ProductRecord): AdminProduct => p;

const notFound = (id: string) => new AppError("RESOURCE_NOT_FOUND", undefined, { type: "product", id });

export class AdminProductService {
  constructor(private readonly deps: ServiceDeps) {}

  async list(merchantId: string): Promise<AdminProduct[]> {
    return (await this.deps.db.repos.products.listAll(merchantId)).map(productView);
  }

  async create(merchantId: string, req: CreateProductRequest, actor: AdminActor): Promise<AdminProduct> {
    const id = req.id ?? `p_${this.deps.randomBytes(8).toString("hex")}`;
    const now = this.deps.now();
    try {
      return await this.deps.db.transaction(async (r) => {
        const p = await r.products.create({
          merchantId,
          id,
          name: req.name,
          description: req.description,
          priceFen: req.priceFen,
          stock: req.stock,
          imageUrl: req.imageUrl ?? null,
          active: req.active,
        });
        const after = productView(p);
        await audit(r, { merchantId, actor, at: now }, "product.create", ["product", id], {
          before: null,
          after: after,
        });
        return after;
      });
    } catch (err) {
      if (uniqueViolation(err) === "products_pkey") throw new AppError("PRODUCT_EXISTS", undefined, { id });
      throw err;
    }
  }

  /** Change any field but stock; the audit row holds the changed fields before and after. */
  async update(
    merchantId: string,
    id: string,
    patch: UpdateProductRequest,
    actor: AdminActor,
  ): Promise<AdminProduct> {
    const now = this.deps.now();
    return this.deps.db.transaction(async (r) => {
      const old = await lockProduct(r, merchantId, id);
      const updated = productView((await r.products.update(merchantId, id, patch))!);
      const before = productView(old);
      const fields = Object.keys(patch) as (keyof UpdateProductRequest)[];
      await audit(r, { merchantId, actor, at: now }, "product.update", ["product", id], {
        before: Object.fromEntries(fields.map((f) => [f, before[f]])),
        after: Object.fromEntries(fields.map((f) => [f, updated[f]])),
      });
      return updated;
    });
  }

  /**
   * Add or remove units. How reservations work here: an order takes its units out of `stock` when
   * it is created (OrderService.create) and gives them back if it expires or closes unpaid
   * (ProductsRepo.restockFromOrder). So `stock` is already net of every open order's reservation,
   * and "never below zero" is exactly "never below what open orders hold": the merchant cannot
   * take away units a shopper is paying for right now. The CHECK (stock >= 0) in the schema is the
   * last line of defence; the conditional update below answers first, with a stable code.
   */
  async adjustStock(
    merchantId: string,
    id: string,
    req: StockAdjustRequest,
    actor: AdminActor,
  ): Promise<AdminProduct> {
    const now = this.deps.now();
    return this.deps.db.transaction(async (r) => {
      const old = await lockProduct(r, merchantId, id);
      if (old.stock + req.delta < 0)
        throw new AppError("STOCK_BELOW_ZERO", undefined, { stock: old.stock, delta: req.delta });
      const p = (await r.products.adjustStock(merchantId, id, req.delta))!;
      await audit(r, { merchantId, actor, at: now }, "product.stock", ["product", id], {
        before: { stock: old.stock },
        after: { stock: p.stock, delta: req.delta, reason: req.reason },
      });
      return productView(p);
    });
  }
}
