/**
 * The job engine over a real PostgreSQL: one fetch takes a batch and runs several jobs at once (one
 * job per polling interval made a backlog of 10,000 pending orders take hours, bench/pending.mjs),
 * and a job that throws is retried on its own while the rest of its batch completes.
 */
import { createDataSource } from "../../src/db/data-source";
import { createDb } from "../../src/db/repositories";
import { JobEngine, type QueueSpec } from "../../src/jobs/engine";
import { createLogger } from "../../src/logger";
import { createTestDatabaseUrl } from "../helpers/db";

const logger = createLogger({ level: "silent" });

/** An engine over `url` that polls every half second. */
const startEngine = (url: string, queues: QueueSpec[]) =>
  JobEngine.start({ connectionString: url, logger, pollingIntervalSeconds: 0.5, queues });

it("runs a backlog in batches, several at once; a throwing job is retried alone", async () => {
  const url = await createTestDatabaseUrl("jobs");
  const seen = new Map<number, number>();
  let running = 0;
  let most = 0;
  let engine: JobEngine | null = null;
  try {
    engine = await startEngine(url, [
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
    ]);
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

it("jobs of two queues enqueued together commit with the transaction (one statement): times and keys kept, a rollback queues none", async () => {
  const url = await createTestDatabaseUrl("jobs");
  const ds = createDataSource(url);
  await ds.initialize();
  const ran: string[] = [];
  let engine: JobEngine | null = null;
  try {
    engine = await startEngine(
      url,
      ["test-a", "test-b"].map((name) => ({
        name,
        retryLimit: 0,
        handler: async (data: Record<string, unknown>) => {
          ran.push(`${name}:${String(data.tag)}`);
        },
      })),
    );
    const e = engine;
    const db = createDb(ds, () => e.sink());
    const later = new Date(Date.now() + 3600_000);
    const pair = (tag: string, at: Date) => [
      { queue: "test-a", data: { tag }, startAfter: at, singletonKey: `a-${tag}` },
      { queue: "test-b", data: { tag }, startAfter: at, singletonKey: `b-${tag}` },
    ];
    await db.transaction((r) => r.jobs.enqueueAll(pair("now", new Date())));
    await expect(
      db.transaction(async (r) => {
        await r.jobs.enqueueAll(pair("rolled-back", new Date()));
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    await db.transaction(async (r) => {
      await r.jobs.enqueueAll(pair("later", later));
      await r.jobs.enqueueAll(pair("later", later)); // the same keys again: queued once
    });
    const stored: { name: string; singleton_key: string; start_after: Date }[] = await ds.query(
      `SELECT name, singleton_key, start_after FROM pgboss.job WHERE singleton_key LIKE '%-later' ORDER BY name`,
    );
    expect(stored.map((j) => [j.name, j.singleton_key, new Date(j.start_after).getTime()])).toEqual([
      ["test-a", "a-later", later.getTime()],
      ["test-b", "b-later", later.getTime()],
    ]);
    for (let i = 0; i < 50 && ran.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500)); // time for anything wrongly queued to run too
    expect(ran.sort()).toEqual(["test-a:now", "test-b:now"]);
  } finally {
    await engine?.stop(5000);
    await ds.destroy();
  }
}, 90_000);
