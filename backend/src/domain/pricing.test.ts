import fc from "fast-check";
import { AppError } from "./errors";
import { priceOrder, type CatalogEntry } from "./pricing";

const catalog = new Map<string, CatalogEntry>([
  ["tea", { id: "tea", name: "Tea", priceFen: 1990, stock: 100, active: true }],
  ["cup", { id: "cup", name: "Cup", priceFen: 500, stock: 2, active: true }],
  ["old", { id: "old", name: "Old", priceFen: 100, stock: 5, active: false }],
]);

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof AppError ? e.code : "other";
  }
  return undefined;
}

describe("priceOrder", () => {
  it("prices from the catalogue and merges duplicate lines", () => {
    const p = priceOrder(
      [
        { productId: "tea", quantity: 2 },
        { productId: "cup", quantity: 1 },
        { productId: "tea", quantity: 1 },
      ],
      catalog,
    );
    expect(p.totalFen).toBe(1990 * 3 + 500);
    expect(p.lines).toHaveLength(2);
    expect(p.description).toBe("Tea 等2件商品");
  });
  it("rejects unknown, inactive, out-of-stock and bad quantities with stable codes", () => {
    expect(code(() => priceOrder([{ productId: "nope", quantity: 1 }], catalog))).toBe("PRODUCT_NOT_FOUND");
    expect(code(() => priceOrder([{ productId: "old", quantity: 1 }], catalog))).toBe("PRODUCT_NOT_FOUND");
    expect(code(() => priceOrder([{ productId: "cup", quantity: 3 }], catalog))).toBe("OUT_OF_STOCK");
    expect(code(() => priceOrder([{ productId: "tea", quantity: 0 }], catalog))).toBe("QUANTITY_INVALID");
    expect(code(() => priceOrder([{ productId: "tea", quantity: 1.5 }], catalog))).toBe("QUANTITY_INVALID");
  });
  it("total is always the integer sum of unit price × quantity", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 2 }), (tea, cup) => {
        const items = [{ productId: "tea", quantity: tea }];
        if (cup > 0) items.push({ productId: "cup", quantity: cup });
        const p = priceOrder(items, catalog);
        expect(Number.isSafeInteger(p.totalFen)).toBe(true);
        expect(p.totalFen).toBe(tea * 1990 + cup * 500);
      }),
    );
  });
});
