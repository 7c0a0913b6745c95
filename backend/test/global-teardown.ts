import fs from "node:fs";
import path from "node:path";
import type { EmbeddedPg } from "../src/db/embedded-postgres";

export default async function globalTeardown(): Promise<void> {
  const pg = (globalThis as any).__MINIPAY_PG__ as EmbeddedPg | undefined;
  if (!pg) return;
  await pg.stop();
  fs.rmSync(path.dirname(pg.dataDir), { recursive: true, force: true });
}
