/** Products: the catalogue each merchant prices from; sandbox merchants get demo products on first start. */
import type { Product } from "@minipay/shared";
import type { ServiceDeps } from "./deps";
import { acceptingShoppers, type ShopMerchant } from "./orders";

export const DEMO_PRODUCTS = [
  {
    id: "oolong-tea",
    name: "乌龙茶 Oolong tea",
    description: "250 g, Anxi Tieguanyin",
    priceFen: 6800,
    stock: 500,
    sort: 1,
  },
  {
    id: "mooncake",
    name: "月饼礼盒 Mooncake box",
    description: "6 pieces, lotus paste",
    priceFen: 12800,
    stock: 200,
    sort: 2,
  },
  {
    id: "red-envelope",
    name: "红包 Red envelopes",
    description: "Pack of 10",
    priceFen: 990,
    stock: 1000,
    sort: 3,
  },
  {
    id: "test-1-fen",
    name: "测试商品 Test item",
    description: "One fen, for trying payments",
    priceFen: 1,
    stock: 100000,
    sort: 4,
  },
];

export class CatalogService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Insert the demo products if this merchant's catalogue is empty; returns how many. */
  async seedDemo(merchantId: string): Promise<number> {
    const { products } = this.deps.db.repos;
    if ((await products.count(merchantId)) > 0) return 0;
    await products.insertMissing(merchantId, DEMO_PRODUCTS);
    return DEMO_PRODUCTS.length;
  }

  async list(merchant: ShopMerchant): Promise<Product[]> {
    acceptingShoppers(merchant);
    const rows = await this.deps.db.repos.products.listActive(merchant.id);
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      description: r.description,
      priceFen: r.priceFen,
      stock: r.stock,
      imageUrl: r.imageUrl,
    }));
  }
}
