/**
 * The job engine: pg-boss on the same PostgreSQL, so jobs survive restarts, are shared by every
 * backend instance (workers fetch with SKIP LOCKED: one job runs once) and can be enqueued inside
 * the transaction that causes them. pg-boss keeps its own tables in the `pgboss` schema and
 * migrates them itself on start.
 */
import PgBoss from "pg-boss";
import type { JobSink } from "../db/repositories";
import type { Logger } from "../logger";
import type { MetricsPort } from "../services/metrics-port";

export interface QueueSpec {
  name: string;
  /** Failed attempts retried this many times (with backoff). */
  retryLimit: number;
  /** `send` enqueues follow-up jobs (outside any transaction). */
  handler: (data: Record<string, unknown>, send: JobEngine["send"]) => Promise<void>;
  /** Run on a cron (pg-boss checks it every 30 s; one job per slot across every instance). */
  schedule?: { cron: string; tz: string };
}

/** Jobs one fetch takes, and how many of them run at once (per queue, per instance). */
const JOB_BATCH = 50;
const JOB_CONCURRENCY = 8;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class JobEngine {
  /** Handlers running now in this process (stop waits for them, bounded). */
  private readonly running = new Set<Promise<unknown>>();

  private constructor(
    private readonly boss: PgBoss,
    private readonly logger: Logger,
    private readonly queues: readonly string[],
  ) {}

  static async start(o: {
    connectionString: string;
    logger: Logger;
    queues: QueueSpec[];
    pollingIntervalSeconds?: number;
    metrics?: MetricsPort;
    /** Finished (archived) jobs are deleted after this many days; pg-boss's default (7) otherwise. */
    deleteAfterDays?: number;
  }): Promise<JobEngine> {
    const boss = new PgBoss({
      connectionString: o.connectionString,
      schema: "pgboss",
      max: 4,
      application_name: "minipay-jobs",
      ...(o.deleteAfterDays === undefined ? {} : { deleteAfterDays: o.deleteAfterDays }),
    });
    let stopping = false;
    // After stop, a connection the database closes on its own way down is expected, not an error.
    boss.on("error", (err) =>
      stopping
        ? o.logger.debug({ err: err.message }, "job engine after stop")
        : o.logger.error({ err: err.message }, "job engine error"),
    );
    boss.once("stopped", () => (stopping = true));
    await boss.start();
    const engine = new JobEngine(
      boss,
      o.logger,
      o.queues.map((q) => q.name),
    );
    for (const q of o.queues) {
      // "short": one queued job per singleton key, so a step is never enqueued twice.
      await boss.createQueue(q.name, {
        name: q.name,
        policy: "short",
        retryLimit: q.retryLimit,
        retryDelay: 10,
        retryBackoff: true,
      });
      if (q.schedule) await boss.schedule(q.name, q.schedule.cron, {}, { tz: q.schedule.tz });
      // pg-boss waits out its polling interval after every fetch, so one job per fetch meant one
      // job per queue every 2 s whatever the backlog (bench/pending.mjs: 10,000 pending orders at
      // 0.4/s). A fetch takes up to JOB_BATCH jobs and runs JOB_CONCURRENCY at a time, and a full
      // batch is followed by the next fetch at once (a backlog); a job that
      // throws is failed on its own (pg-boss retries it) and then completes only the jobs still
      // active. Concurrency stays well under the database pool, which the API shares.
      let workerId: string | null = null;
      workerId = await boss.work<Record<string, unknown>>(
        q.name,
        { pollingIntervalSeconds: o.pollingIntervalSeconds ?? 2, batchSize: JOB_BATCH },
        async (jobs) => {
          let next = 0;
          const lane = async () => {
            while (next < jobs.length) {
              const job = jobs[next++]!;
              const run = q.handler(job.data, (queue, data, opts) => engine.send(queue, data, opts));
              engine.running.add(run);
              try {
                await run;
              } catch (err) {
                o.metrics?.jobFailed(q.name);
                o.logger.warn(
                  { queue: q.name, err: (err as Error).message },
                  "job failed; pg-boss retries it",
                );
                await boss.fail(q.name, job.id, { message: (err as Error).message });
              } finally {
                engine.running.delete(run);
              }
            }
          };
          await Promise.all(Array.from({ length: Math.min(JOB_CONCURRENCY, jobs.length) }, lane));
          // A full batch means a backlog: fetch again now instead of after the polling interval.
          if (jobs.length === JOB_BATCH && workerId) boss.notifyWorker(workerId);
        },
      );
    }
    return engine;
  }

  /** What the repositories call to enqueue inside a transaction. */
  sink(): JobSink {
    return async (jobs, db) => {
      // One INSERT for all of them (pg-boss resolves each job's queue and policy in the statement).
      await this.boss.insert(
        jobs.map((j) => ({
          name: j.queue,
          data: j.data,
          startAfter: j.startAfter.toISOString(),
          singletonKey: j.singletonKey,
        })),
        { db: db as PgBoss.Db },
      );
    };
  }

  /** Enqueue outside any transaction (a job scheduling its next step). */
  async send(queue: string, data: object, opts: { startAfter: Date; singletonKey: string }): Promise<void> {
    await this.boss.send(queue, data, opts);
  }

  /** Jobs waiting or running in a queue (for tests and metrics). */
  async depth(queue: string): Promise<number> {
    return this.boss.getQueueSize(queue);
  }

  /** Every queue of this engine with its depth (the metrics gauge reads it at scrape time). */
  async depths(): Promise<{ queue: string; depth: number }[]> {
    return Promise.all(this.queues.map(async (queue) => ({ queue, depth: await this.depth(queue) })));
  }

  /** Stop fetching and wait for running jobs, at most `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    await this.boss.stop({ graceful: true, wait: true, timeout: timeoutMs });
    // pg-boss may resolve before a slow handler ends (its own wait is bounded and polls); a handler
    // still running would use a database its caller is about to close.
    if (this.running.size > 0)
      await Promise.race([Promise.allSettled([...this.running]), sleep(Math.max(0, until - Date.now()))]);
    // pg-boss's offWork loops check once a second that their workers stopped; give them that second so
    // none of its timers outlives the engine (under jest such a timer crashes the run after teardown).
    await sleep(1100);
    this.logger.info("job engine stopped");
  }
}
