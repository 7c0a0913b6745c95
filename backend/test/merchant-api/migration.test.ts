/** MerchantOrders1733300000000: up on existing shop orders, down and up again on an empty database. */
import { createDataSource, runMigrations } from "../../src/db/data-source";
import { createTestDatabaseUrl } from "../helpers/db";

it("existing orders become source 'shop'; revert removes merchant_orders and restores user_id NOT NULL", async () => {
  const ds = createDataSource(await createTestDatabaseUrl());
  await ds.initialize();
  try {
    await runMigrations(ds);
    const col = async () =>
      (
        await ds.query(
          `SELECT is_nullable FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'user_id'`,
        )
      )[0].is_nullable;
    const table = async () =>
      (await ds.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'merchant_orders'`)).length;
    expect(await col()).toBe("YES");
    expect(await table()).toBe(1);
    const last = async () => (await ds.query(`SELECT name FROM migrations ORDER BY id DESC LIMIT 1`))[0].name;
    while ((await last()) !== "MerchantOrders1733300000000")
      await ds.undoLastMigration({ transaction: "each" });
    await ds.undoLastMigration({ transaction: "each" });
    expect(await col()).toBe("NO");
    expect(await table()).toBe(0);
    // A shop order from before the migration…
    await ds.query(`INSERT INTO merchants (id, api_version, appid, mchid, credentials_sealed)
      VALUES ('mch_old', 'v3', 'wx0000000000000001', '1900000001', 'sealed')`);
    const [u] = await ds.query(
      `INSERT INTO users (appid, openid) VALUES ('wx0000000000000001', 'o-old') RETURNING id`,
    );
    const [o] = await ds.query(
      `INSERT INTO orders (user_id, merchant_id, out_trade_no, state, total_fen, description, idempotency_key,
         request_hash, expires_at) VALUES ($1, 'mch_old', 'MPOLD1', 'paid', 100, 'old', 'k-old-0001', 'h', now())
       RETURNING id`,
      [u.id],
    );
    expect(await runMigrations(ds)).toContain("MerchantOrders1733300000000");
    // …is a shop order after it.
    const [after] = await ds.query(`SELECT source, user_id FROM orders WHERE id = $1`, [o.id]);
    expect(after).toEqual({ source: "shop", user_id: u.id });
    const [d] = await ds.query(
      `SELECT column_default FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'source'`,
    );
    expect(d.column_default).toContain("shop");
  } finally {
    await ds.destroy();
  }
});
