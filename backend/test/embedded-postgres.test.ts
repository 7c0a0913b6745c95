import { Client } from "pg";
import { createDataSource } from "../src/db/data-source";
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

  it("the backend's pool reaches it through the Unix socket named by ?host=, and TCP without it", async () => {
    const url = await createTestDatabaseUrl();
    expect(new URL(url).searchParams.get("host")).toBe("/tmp");
    const clientAddr = async (u: string) => {
      const ds = createDataSource(u);
      await ds.initialize();
      try {
        return (await ds.query(`SELECT inet_client_addr()::text AS a`))[0].a;
      } finally {
        await ds.destroy();
      }
    };
    expect(await clientAddr(url)).toBeNull(); // a Unix-socket client has no address
    const tcp = new URL(url);
    tcp.search = "";
    expect(await clientAddr(tcp.toString())).toMatch(/^127\.0\.0\.1/);
  });
});
