/** Server-side pricing: the client sends product ids and quantities, never amounts. */
import { MAX_ORDER_TOTAL_FEN } from "@minipay/shared";
import { AppError } from "./errors";

export interface CatalogEntry {
  id: string;
  name: string;
  priceFen: number;
  stock: number;
  active: boolean;
}

export interface PricedLine {
  productId: string;
  name: string;
  unitPriceFen: number;
  quantity: number;
  subtotalFen: number;
}

export interface PricedOrder {
  lines: PricedLine[];
  totalFen: number;
  description: string;
  /** Every line is in stock (always true when stock is required). */
  inStock: boolean;
}

/**
 * Merge duplicate lines, look every product up, multiply in integers, enforce the limits. A quote
 * passes `requireStock: false` and reads `inStock` instead of failing.
 */
export function priceOrder(
  items: readonly { productId: string; quantity: number }[],
  catalog: ReadonlyMap<string, CatalogEntry>,
  opts: { requireStock?: boolean } = {},
): PricedOrder {
  const requireStock = opts.requireStock ?? true;
  let inStock = true;
  const merged = new Map<string, number>();
  for (const it of items) {
    if (!Number.isSafeInteger(it.quantity) || it.quantity <= 0) throw new AppError("QUANTITY_INVALID");
    merged.set(it.productId, (merged.get(it.productId) ?? 0) + it.quantity);
  }
  const lines: PricedLine[] = [];
  let total = 0;
  for (const [productId, quantity] of merged) {
    const p = catalog.get(productId);
    if (!p || !p.active) throw new AppError("PRODUCT_NOT_FOUND", undefined, { productId });
    if (p.stock < quantity) {
      if (requireStock) throw new AppError("OUT_OF_STOCK", undefined, { productId });
      inStock = false;
    }
    const subtotal = p.priceFen * quantity;
    total += subtotal;
    lines.push({ productId, name: p.name, unitPriceFen: p.priceFen, quantity, subtotalFen: subtotal });
  }
  if (total <= 0 || total > MAX_ORDER_TOTAL_FEN) throw new AppError("ORDER_TOO_LARGE");
  const first = lines[0]!.name;
  const description = (lines.length > 1 ? `${first} 等${lines.length}件商品` : first).slice(0, 127);
  return { lines, totalFen: total, description, inStock };
}
