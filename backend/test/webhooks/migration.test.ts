/**
 * The webhooks migration on a database with history: outbox rows written before it count as
 * already fanned out (an upgrade sends no old news), rows written after it are fanned out, and it
 * can be reverted.
 */
import { DataSource } from "typeorm";
import { MIGRATIONS } from "../../src/db/data-source";
import { Webhooks1733200000000 } from "../../src/db/migrations/1733200000000-Webhooks";
import { createTestDatabaseUrl } from "../helpers/db";

it("marks existing outbox rows as fanned out, leaves new ones to the fan-out, and reverts", async () => {
  const url = await createTestDatabaseUrl();
  // Everything before it (later migrations, e.g. OrderNotify, build on its tables).
  const before = MIGRATIONS.slice(0, MIGRATIONS.indexOf(Webhooks1733200000000));
  const old = new DataSource({
    type: "postgres",
    url,
    migrations: before,
    migrationsTableName: "migrations",
  });
  await old.initialize();
  await old.runMigrations();
  await old.query(
    `INSERT INTO outbox (topic, dedupe_key, payload) VALUES ('order.paid', 'order.paid:old', '{}')`,
  );
  await old.destroy();

  const ds = new DataSource({
    type: "postgres",
    url,
    migrations: MIGRATIONS,
    migrationsTableName: "migrations",
  });
  await ds.initialize();
  try {
    const ran = (await ds.runMigrations()).map((m) => m.name);
    expect(ran[0]).toBe("Webhooks1733200000000");
    const [oldRow] = await ds.query(`SELECT webhooks_at FROM outbox WHERE dedupe_key = 'order.paid:old'`);
    expect(oldRow.webhooks_at).not.toBeNull();
    await ds.query(
      `INSERT INTO outbox (topic, dedupe_key, payload) VALUES ('order.paid', 'order.paid:new', '{}')`,
    );
    const pending = await ds.query(`SELECT dedupe_key FROM outbox WHERE webhooks_at IS NULL`);
    expect(pending).toEqual([{ dedupe_key: "order.paid:new" }]);

    for (let i = 0; i < ran.length; i++) await ds.undoLastMigration();
    const tables = await ds.query(
      `SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'webhook%'`,
    );
    expect(tables).toEqual([]);
    const cols = await ds.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'outbox' AND column_name = 'webhooks_at'`,
    );
    expect(cols).toEqual([]);
  } finally {
    await ds.destroy();
  }
});
