/** A fresh database per test file on the run's PostgreSQL server, so files never share rows. */
import crypto from "node:crypto";
import { ensureDatabase } from "../../src/db/embedded-postgres";

export async function createTestDatabaseUrl(prefix = "t"): Promise<string> {
  const server = process.env.MINIPAY_TEST_PG_SERVER;
  if (!server) throw new Error("MINIPAY_TEST_PG_SERVER is unset: jest globalSetup did not run");
  const name = `${prefix}_${crypto.randomBytes(6).toString("hex")}`;
  return ensureDatabase(server, name);
}
