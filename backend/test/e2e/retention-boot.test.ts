/**
 * The retention job as a real run wires it: boot() starts it on PRUNE_INTERVAL_MS (as a pg-boss
 * job chain with the job engine on, on a timer without it), it prunes what is past retention, and
 * close() stops it.
 */
import crypto from "node:crypto";
import { boot, type Running } from "../../src/boot";
import { createDataSource } from "../../src/db/data-source";
import { createTestDatabaseUrl } from "../helpers/db";
import { eventually, startTestSandbox, type Sandbox } from "../helpers/sandbox-stack";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox.close());

it.each(["true", "false"])(
  "boot runs the retention job every PRUNE_INTERVAL_MS and stops it on close (JOBS_ENABLED=%s)",
  async (jobsEnabled) => {
    const databaseUrl = await createTestDatabaseUrl();
    let running: Running | null = await boot({
      DATABASE_URL: databaseUrl,
      PORT: "0",
      MASTER_KEY: crypto.randomBytes(32).toString("base64"),
      SANDBOX_URL: sandbox.url,
      LOG_LEVEL: "silent",
      SWEEPER_INTERVAL_MS: "0",
      PRUNE_INTERVAL_MS: "50",
      JOBS_ENABLED: jobsEnabled,
      RETENTION_LOGIN_CODES_HOURS: "1",
    });
    const ds = createDataSource(databaseUrl);
    await ds.initialize();
    try {
      expect(running.config.PRUNE_INTERVAL_MS).toBe(50);
      await ds.query(`INSERT INTO login_codes (code_hash, used_at) VALUES ('old', now() - interval '2 hours'),
      ('fresh', now() - interval '10 minutes')`);
      await eventually(
        async () => (await ds.query(`SELECT 1 FROM login_codes WHERE code_hash = 'old'`)).length === 0,
      );
      expect(await ds.query(`SELECT code_hash FROM login_codes`)).toEqual([{ code_hash: "fresh" }]);
      if (jobsEnabled === "true") {
        // One chain: never more than one pass waiting.
        const [w] = await ds.query(
          `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'retention' AND state IN ('created', 'retry')`,
        );
        expect(w.n).toBeLessThanOrEqual(1);
      }
      await running.close();
      running = null;
      // Stopped: nothing is pruned any more.
      await ds.query(
        `INSERT INTO login_codes (code_hash, used_at) VALUES ('old-2', now() - interval '2 hours')`,
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(await ds.query(`SELECT code_hash FROM login_codes WHERE code_hash = 'old-2'`)).toHaveLength(1);
    } finally {
      await running?.close();
      await ds.destroy();
    }
  },
);
