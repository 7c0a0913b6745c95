/**
 * The retention job: tables that only grow (exchanged login codes, ended sessions, notify_log, old
 * rate-limit windows) are pruned on a timer, in bounded batches. Every process may run it: each
 * batch deletes only rows it could lock (SKIP LOCKED), so two processes pruning at once split the
 * rows and never delete anything twice or wait on each other.
 */
import type { ServiceDeps } from "./deps";
import { Periodic } from "./periodic";

export interface RetentionOptions {
  loginCodeHours: number;
  /** Sessions are deleted this long after they ended (expired, revoked or idle). */
  sessionDays: number;
  sessionIdleMinutes: number;
  notifyLogDays: number;
  /** Rate-limit windows are kept this long after they started (longer than any window). */
  rateWindowMinutes: number;
  batch: number;
  /** Batches per table per pass, so one pass stays short; the next pass continues. */
  maxBatches: number;
}

export interface Pruned {
  loginCodes: number;
  sessions: number;
  notifyLog: number;
  rateWindows: number;
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

export class RetentionJob {
  private readonly periodic = new Periodic("retention", this.deps.logger, async () => {
    const n = await this.runOnce();
    if (Object.values(n).some((v) => v > 0)) this.deps.logger.info(n, "retention pass");
  });

  constructor(
    private readonly deps: ServiceDeps,
    private readonly opts: RetentionOptions,
  ) {}

  start(intervalMs: number): void {
    this.periodic.start(intervalMs);
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  private async drain(prune: (batch: number) => Promise<number>): Promise<number> {
    let total = 0;
    for (let i = 0; i < this.opts.maxBatches; i++) {
      const n = await prune(this.opts.batch);
      total += n;
      if (n < this.opts.batch) break;
    }
    return total;
  }

  /** One pass over every table; returns how many rows went (for tests and logs). */
  async runOnce(): Promise<Pruned> {
    const now = this.deps.now().getTime();
    const { retention, rateLimits } = this.deps.db.repos;
    const o = this.opts;
    const sessionsBefore = new Date(now - o.sessionDays * DAY);
    const idleBefore = new Date(sessionsBefore.getTime() - o.sessionIdleMinutes * 60_000);
    return {
      loginCodes: await this.drain((b) =>
        retention.pruneLoginCodes(new Date(now - o.loginCodeHours * HOUR), b),
      ),
      sessions: await this.drain((b) => retention.pruneSessions(sessionsBefore, idleBefore, b)),
      notifyLog: await this.drain((b) => retention.pruneNotifyLog(new Date(now - o.notifyLogDays * DAY), b)),
      rateWindows: await this.drain((b) =>
        rateLimits.pruneBefore(new Date(now - o.rateWindowMinutes * 60_000), b),
      ),
    };
  }
}
