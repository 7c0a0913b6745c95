import { createDataSource, runMigrations } from "../src/db/data-source";
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
