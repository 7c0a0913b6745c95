/** `npm run migrate`: apply pending migrations to DATABASE_URL (or the local embedded PostgreSQL). */
import { loadConfig } from "../config";
import { openDatabase } from "./open";

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const db = await openDatabase(config, (l) => console.error(l));
  try {
    console.log(db.migrated.length ? `applied: ${db.migrated.join(", ")}` : "schema up to date");
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
