/** Products: the catalogue the server prices from, with demo products seeded on first start. */
import type { Product } from "@minipay/shared";
import { ProductEntity } from "../db/entities/product";
import type { ServiceDeps } from "./deps";

export const DEMO_PRODUCTS = [
  {
    id: "oolong-tea",
    name: "乌龙茶 Oolong tea",
    description: "250 g, Anxi Tieguanyin",
    price_fen: 6800,
    stock: 500,
    sort: 1,
  },
  {
    id: "mooncake",
    name: "月饼礼盒 Mooncake box",
    description: "6 pieces, lotus paste",
    price_fen: 12800,
    stock: 200,
    sort: 2,
  },
  {
    id: "red-envelope",
    name: "红包 Red envelopes",
    description: "Pack of 10",
    price_fen: 990,
    stock: 1000,
    sort: 3,
  },
  {
    id: "test-1-fen",
    name: "测试商品 Test item",
    description: "One fen, for trying payments",
    price_fen: 1,
    stock: 100000,
    sort: 4,
  },
];

export class CatalogService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Insert the demo products if the catalogue is empty (first start). */
  async seedDemo(): Promise<number> {
    const [{ n }] = await this.deps.ds.query(`SELECT count(*)::int AS n FROM products`);
    if (n > 0) return 0;
    for (const p of DEMO_PRODUCTS)
      await this.deps.ds.query(
        `INSERT INTO products (id, name, description, price_fen, stock, sort) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING`,
        [p.id, p.name, p.description, p.price_fen, p.stock, p.sort],
      );
    return DEMO_PRODUCTS.length;
  }

  async list(): Promise<Product[]> {
    const rows = await this.deps.ds
      .getRepository(ProductEntity)
      .find({ where: { active: true }, order: { sort: "ASC", id: "ASC" } });
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
