/**
 * Jobs enqueued in the caller's transaction: pg-boss runs its insert through the same connection,
 * so a job exists exactly when the state change that caused it committed (a rollback takes it back).
 * Without a job engine (tests that drive the sweeper by hand) scheduling does nothing.
 */
import type { Manager } from "./rows";

/** One job to queue. Times are absolute; keys deduplicate queued jobs. */
export interface NewJob {
  queue: string;
  data: object;
  startAfter: Date;
  singletonKey: string;
}

/** The queue writes services may ask for. */
export interface JobScheduler {
  enqueue(queue: string, data: object, opts: { startAfter: Date; singletonKey: string }): Promise<void>;
  /** Several jobs (of any queues) in one statement. */
  enqueueAll(jobs: readonly NewJob[]): Promise<void>;
}

/** pg-boss's database seam over a TypeORM manager (the transaction's, when there is one). */
export interface SqlExecutor {
  executeSql(text: string, values: unknown[]): Promise<{ rows: unknown[] }>;
}

export function sqlExecutor(m: Manager): SqlExecutor {
  return {
    executeSql: async (text, values) => {
      const qr = m.queryRunner;
      if (qr) return { rows: (await qr.query(text, values as unknown[], true)).records ?? [] };
      const rows = await m.query(text, values as unknown[]);
      return { rows: Array.isArray(rows) ? rows : [] };
    },
  };
}

export type JobSink = (jobs: readonly NewJob[], db: SqlExecutor) => Promise<void>;

export function jobScheduler(m: Manager, sink: () => JobSink | null): JobScheduler {
  const enqueueAll = async (jobs: readonly NewJob[]) => {
    const send = sink();
    if (send && jobs.length > 0) await send(jobs, sqlExecutor(m));
  };
  return {
    enqueue: (queue, data, opts) => enqueueAll([{ queue, data, ...opts }]),
    enqueueAll,
  };
}
