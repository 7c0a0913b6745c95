import { Client } from "pg";
import { createTestDatabaseUrl } from "./helpers/db";

describe("embedded PostgreSQL from globalSetup", () => {
  it("is a real PostgreSQL 16 server", async () => {
    const url = await createTestDatabaseUrl();
    const c = new Client({ connectionString: url });
    await c.connect();
    const r = await c.query("SHOW server_version");
    await c.end();
    expect(r.rows[0].server_version).toMatch(/^16\./);
  });
});
