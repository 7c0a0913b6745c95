/**
 * The job engine over a real PostgreSQL: one fetch takes a batch and runs several jobs at once (one
 * job per polling interval made a backlog of 10,000 pending orders take hours, bench/pending.mjs),
 * and a job that throws is retried on its own while the rest of its batch completes.
 */
import { JobEngine } from "../../src/jobs/engine";
import { createLogger } from "../../src/logger";
import { createTestDatabaseUrl } from "../helpers/db";

const logger = createLogger({ level: "silent" });

it("runs a backlog in batches, several at once; a throwing job is retried alone", async () => {
  const url = await createTestDatabaseUrl("jobs");
  const seen = new Map<number, number>();
  let running = 0;
  let most = 0;
  let engine: JobEngine | null = null;
  try {
    engine = await JobEngine.start({
      connectionString: url,
      logger,
      pollingIntervalSeconds: 0.5,
      queues: [
        {
          name: "test-backlog",
          retryLimit: 3,
          handler: async (data) => {
            const n = Number(data.n);
            seen.set(n, (seen.get(n) ?? 0) + 1);
            running++;
            most = Math.max(most, running);
            await new Promise((r) => setTimeout(r, 30));
            running--;
            if (n === 7 && seen.get(n) === 1) throw new Error("first attempt of job 7 fails");
          },
        },
      ],
    });
    const e = engine;
    for (let n = 0; n < 60; n++)
      await e.send("test-backlog", { n }, { startAfter: new Date(), singletonKey: `job-${n}` });
    // Every job once, job 7 twice (its retry waits for pg-boss's retry delay).
    for (let i = 0; i < 300 && !(seen.size === 60 && seen.get(7) === 2); i++)
      await new Promise((r) => setTimeout(r, 200));
    expect(seen.size).toBe(60);
    expect([...seen.entries()].filter(([, c]) => c !== 1)).toEqual([[7, 2]]);
    expect(most).toBeGreaterThan(1);
  } finally {
    await engine?.stop(5000);
  }
}, 90_000);
