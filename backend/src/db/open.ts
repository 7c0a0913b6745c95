/** Opens the database for a run: DATABASE_URL, or the embedded PostgreSQL in DATA_DIR/pg. Runs migrations. */
import path from "node:path";
import type { DataSource } from "typeorm";
import type { Config } from "../config";
import { createDataSource, runMigrations } from "./data-source";
import {
  ensureDatabase,
  runningClusterUrl,
  startEmbeddedPostgres,
  type EmbeddedPg,
} from "./embedded-postgres";

export interface OpenDatabase {
  ds: DataSource;
  embedded: EmbeddedPg | null;
  migrated: string[];
  close(): Promise<void>;
}

export async function openDatabase(
  config: Config,
  log: (line: string) => void,
  /** Use the embedded server a running backend already started on DATA_DIR (the CLI does). */
  opts: { attachToRunning?: boolean } = {},
): Promise<OpenDatabase> {
  let embedded: EmbeddedPg | null = null;
  let url = config.DATABASE_URL;
  const running = !url && opts.attachToRunning ? runningClusterUrl(path.join(config.dataDir, "pg")) : null;
  if (running) url = await ensureDatabase(running, "minipay");
  if (!url) {
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(config.dataDir, "pg"),
      port: config.PG_PORT,
      persistent: true,
    });
    url = await ensureDatabase(embedded.url, "minipay");
    log(`embedded PostgreSQL on 127.0.0.1:${embedded.port} (data in ${embedded.dataDir})`);
  }
  const ds = createDataSource(url);
  try {
    await ds.initialize();
    const migrated = await runMigrations(ds);
    return {
      ds,
      embedded,
      migrated,
      close: async () => {
        // A pool whose server restarted under it can wait on dead clients; the embedded server
        // must be stopped all the same.
        if (ds.isInitialized)
          await Promise.race([
            ds.destroy().catch(() => undefined),
            new Promise((r) => setTimeout(r, 2000).unref()),
          ]);
        if (embedded) await embedded.stop();
      },
    };
  } catch (err) {
    if (ds.isInitialized) await ds.destroy();
    if (embedded) await embedded.stop();
    throw err;
  }
}
