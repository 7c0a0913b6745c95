import { DataSource } from "typeorm";
import { createDataSource, runMigrations } from "../src/db/data-source";
import { Init1732400000000 } from "../src/db/migrations/1732400000000-Init";
import { createTestDatabaseUrl } from "./helpers/db";

describe("migrations", () => {
  it("create the schema from empty and are idempotent on a second run", async () => {
    const url = await createTestDatabaseUrl();
    const ds = createDataSource(url);
    await ds.initialize();
    try {
      const first = await runMigrations(ds);
      expect(first.length).toBeGreaterThan(0);
      const tables = await ds.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
      );
      expect(tables.map((t: any) => t.table_name)).toEqual(
        expect.arrayContaining([
          "orders",
          "order_events",
          "users",
          "sessions",
          "products",
          "merchants",
          "outbox",
        ]),
      );
      const second = await runMigrations(ds);
      expect(second).toEqual([]);
      // never synchronize: the data source must not be configured to
      expect(ds.options.synchronize).toBe(false);
    } finally {
      await ds.destroy();
    }
  });
});

describe("migration 2 (many merchants) on data from the single-merchant schema", () => {
  it("gives the old 'default' merchant its stable id and keeps every row attached to it", async () => {
    const url = await createTestDatabaseUrl();
    const first = new DataSource({
      type: "postgres",
      url,
      migrations: [Init1732400000000],
      migrationsTableName: "migrations",
    });
    await first.initialize();
    await first.runMigrations();
    await first.query(`INSERT INTO merchants (id, api_version, appid, mchid, credentials_sealed)
      VALUES ('default', 'v3', 'wx00000000000000aa', '1900000001', 'sealed')`);
    const [user] = await first.query(
      `INSERT INTO users (appid, openid) VALUES ('wx00000000000000aa', 'o-1') RETURNING id`,
    );
    await first.query(`INSERT INTO products (id, name, price_fen, stock) VALUES ('tea', 'Tea', 100, 5)`);
    const [order] = await first.query(
      `INSERT INTO orders (user_id, merchant_id, out_trade_no, state, total_fen, description, idempotency_key, request_hash, expires_at)
       VALUES ($1, 'default', 'MP1', 'paying', 100, 'Tea', 'k1', 'h', now()) RETURNING id`,
      [user.id],
    );
    await first.query(
      `INSERT INTO order_items (order_id, product_id, name, unit_price_fen, quantity, subtotal_fen) VALUES ($1, 'tea', 'Tea', 100, 1, 100)`,
      [order.id],
    );
    for (const at of ["2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z"])
      await first.query(
        `INSERT INTO payment_attempts (order_id, method, prepay_id, expires_at, created_at) VALUES ($1, 'jsapi', $2::text, now(), $2::text::timestamptz)`,
        [order.id, at],
      );
    await first.destroy();

    const ds = createDataSource(url);
    await ds.initialize();
    try {
      expect(await runMigrations(ds)).toEqual([
        "ManyMerchants1732500000000",
        "TradeNumbers1732600000000",
        "Admin1732800000000",
      ]);
      expect(await ds.query(`SELECT id, mchid FROM merchants`)).toEqual([
        { id: "mch_1900000001", mchid: "1900000001" },
      ]);
      expect(await ds.query(`SELECT merchant_id FROM orders`)).toEqual([{ merchant_id: "mch_1900000001" }]);
      expect(await ds.query(`SELECT merchant_id FROM users`)).toEqual([{ merchant_id: "mch_1900000001" }]);
      expect(await ds.query(`SELECT merchant_id, id FROM products`)).toEqual([
        { merchant_id: "mch_1900000001", id: "tea" },
      ]);
      expect(await ds.query(`SELECT merchant_id FROM order_items`)).toEqual([
        { merchant_id: "mch_1900000001" },
      ]);
      const live = await ds.query(`SELECT prepay_id FROM payment_attempts WHERE superseded_at IS NULL`);
      expect(live).toEqual([{ prepay_id: "2026-01-01T00:05:00Z" }]);
    } finally {
      await ds.destroy();
    }
  });
});
