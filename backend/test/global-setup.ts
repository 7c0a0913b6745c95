/**
 * Starts one real PostgreSQL (embedded) for the whole jest run, on a free port in a temp dir,
 * unless DATABASE_URL is already set (CI service, docker-compose). Workers inherit the URL through
 * the environment. Each test file makes its own database from it (test/helpers/db.ts).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, startEmbeddedPostgres } from "../src/db/embedded-postgres";

export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.MINIPAY_TEST_PG_SERVER = process.env.DATABASE_URL;
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "minipay-jest-pg-"));
  // Running as root, postgres runs as the `postgres` user, which must be able to enter the dir.
  fs.chmodSync(tmp, 0o755);
  const dataDir = path.join(tmp, "pg");
  const port = await freePort();
  const pg = await startEmbeddedPostgres({ dataDir, port, persistent: false });
  (globalThis as any).__MINIPAY_PG__ = pg;
  process.env.MINIPAY_TEST_PG_SERVER = pg.url;
}
