/**
 * The one-statement settle for payment notifies (migrations NotifySettle and NotifySettleBatch):
 * the order move, its event and outbox row and the notify_log row commit together. It only carries
 * out what the caller allowed; 'fallback' means nothing was written for that notify.
 *
 * On the DataSource's own manager (never inside a caller's transaction) concurrent notifies are
 * batched (db/batcher.ts) into one statement, one commit, sorted so batches lock orders in the same
 * order; a batch that fails is retried one notify at a time, so one bad notify cannot fail others.
 *
 * Settled facts are remembered (docs/notify-performance.md): once an order is in a state the caller
 * names as "already paid" under a transaction id and amount, no later move takes it out of those
 * states (the transition table keeps them closed, domain/settle-shortcuts.test.ts) and neither its
 * transaction id nor its amount change. A notify carrying the same facts is then a duplicate without
 * reading the order; only its notify_log row is written, batched, without waiting for the disk.
 */
import type { OrderState } from "@minipay/shared";
import { Batcher } from "../batcher";
import type { Manager } from "./rows";
import type { EventSource } from "./types";

export interface NotifySettleInput {
  merchantId: string;
  outTradeNo: string;
  transactionId: string;
  totalFen: number;
  paidAt: Date;
  to: OrderState;
  /** States the order may move from (from the transition table). */
  from: readonly OrderState[];
  /** States in which the same transaction id means a plain duplicate. */
  already: readonly OrderState[];
  source: EventSource;
  eventData: Record<string, unknown>;
  apiVersion: "v2" | "v3";
  signType: string | null;
}

export type NotifySettleResult =
  | { result: "applied"; orderId: string; from: OrderState }
  | { result: "duplicate"; orderId: string; state: OrderState }
  | { result: "fallback" };

type Outcome = NotifySettleResult | { result: "error"; error: unknown };

interface Settled {
  transactionId: string;
  totalFen: number;
  orderId: string;
  state: OrderState;
  at: number;
}

/** Tuning, fixed here: measured with `npm run bench -- notify` (docs/notify-performance.md). */
const MAX_BATCH = 32;
const MAX_IN_FLIGHT = 2;
/** WeChat stops resending a notify within a day; a remembered fact is dropped after that. */
const REMEMBER_MS = 25 * 3600_000;
const REMEMBER_MAX = 100_000;

export class NotifySettleRepo {
  /** One batcher per rule (target state and source): a statement applies one rule. */
  private readonly settleBatches = new Map<string, Batcher<NotifySettleInput, Outcome>>();
  private readonly top: boolean;
  private readonly logBatch: Batcher<NotifySettleInput, true> | null;
  private readonly settled = new Map<string, Settled>();

  constructor(
    private readonly m: Manager,
    private readonly clock: () => number = Date.now,
  ) {
    // Inside a transaction (m.queryRunner set) every call is its own statement, as before.
    this.top = !m.queryRunner;
    this.logBatch = this.top
      ? new Batcher({ run: (items) => this.writeNoopLogs(items), maxBatch: 256, maxInFlight: 3 })
      : null;
  }

  async settlePaid(p: NotifySettleInput): Promise<NotifySettleResult> {
    const known = this.recall(p);
    if (known && this.logBatch) {
      await this.logBatch.add(p);
      return { result: "duplicate", orderId: known.orderId, state: known.state };
    }
    const out = this.top ? await this.batcherFor(p).add(p) : (await this.statement([p]))[0]!;
    if (out.result === "error") throw out.error;
    if (out.result === "applied") this.remember(p, out.orderId, p.to);
    if (out.result === "duplicate") this.remember(p, out.orderId, out.state);
    return out;
  }

  private batcherFor(p: NotifySettleInput): Batcher<NotifySettleInput, Outcome> {
    const rule = `${p.to} ${p.source} ${p.from.join(",")} ${p.already.join(",")}`;
    let b = this.settleBatches.get(rule);
    if (!b) {
      b = new Batcher({
        run: (items) => this.runSettle(items),
        maxBatch: MAX_BATCH,
        maxInFlight: MAX_IN_FLIGHT,
      });
      this.settleBatches.set(rule, b);
    }
    return b;
  }

  private key(p: NotifySettleInput): string {
    return `${p.merchantId}\u0000${p.outTradeNo}`;
  }

  private recall(p: NotifySettleInput): Settled | null {
    const s = this.settled.get(this.key(p));
    if (!s) return null;
    if (this.clock() - s.at > REMEMBER_MS) {
      this.settled.delete(this.key(p));
      return null;
    }
    return s.transactionId === p.transactionId && s.totalFen === p.totalFen && p.already.includes(s.state)
      ? s
      : null;
  }

  private remember(p: NotifySettleInput, orderId: string, state: OrderState): void {
    if (!p.already.includes(state)) return;
    const k = this.key(p);
    this.settled.delete(k);
    this.settled.set(k, {
      transactionId: p.transactionId,
      totalFen: p.totalFen,
      orderId,
      state,
      at: this.clock(),
    });
    if (this.settled.size > REMEMBER_MAX) this.settled.delete(this.settled.keys().next().value!);
  }

  /** A batch in one statement; if it fails, each notify on its own so only the bad one fails. */
  private async runSettle(items: NotifySettleInput[]): Promise<Outcome[]> {
    try {
      return await this.statement(items);
    } catch (err) {
      if (items.length === 1) return [{ result: "error", error: err }];
      return Promise.all(
        items.map((p) =>
          this.statement([p]).then(
            (o) => o[0]!,
            (error: unknown): Outcome => ({ result: "error", error }),
          ),
        ),
      );
    }
  }

  private async statement(items: NotifySettleInput[]): Promise<NotifySettleResult[]> {
    // Every batch locks order rows in this one order, so two batches cannot deadlock each other.
    const order = items
      .map((p, i) => ({ p, i }))
      .sort((a, b) =>
        a.p.merchantId === b.p.merchantId
          ? cmp(a.p.outTradeNo, b.p.outTradeNo)
          : cmp(a.p.merchantId, b.p.merchantId),
      );
    const ps = order.map((o) => o.p);
    const first = ps[0]!;
    const rows: { idx: number; result: string; order_id: string | null; from_state: OrderState | null }[] =
      await this.m.query(
        `SELECT idx, result, order_id, from_state FROM settle_notify_paid_batch(
           $1, $2, $3, $4, $5, $6::jsonb[], $7, $8, $9, $10, $11, $12)`,
        [
          ps.map((p) => p.merchantId),
          ps.map((p) => p.outTradeNo),
          ps.map((p) => p.transactionId),
          ps.map((p) => p.totalFen),
          ps.map((p) => p.paidAt),
          ps.map((p) => JSON.stringify(p.eventData)),
          ps.map((p) => p.apiVersion),
          ps.map((p) => p.signType),
          // One rule per batch (batcherFor).
          first.to,
          first.from,
          first.already,
          first.source,
        ],
      );
    const out: NotifySettleResult[] = new Array(items.length).fill({ result: "fallback" });
    for (const row of rows) {
      const at = order[row.idx - 1]!.i;
      if (row.result === "applied")
        out[at] = { result: "applied", orderId: row.order_id!, from: row.from_state! };
      else if (row.result === "duplicate")
        out[at] = { result: "duplicate", orderId: row.order_id!, state: row.from_state! };
    }
    return out;
  }

  /** notify_log rows of remembered duplicates: one statement, committed without waiting for the disk. */
  private async writeNoopLogs(items: NotifySettleInput[]): Promise<true[]> {
    await this.m.query(
      `WITH lazy AS (SELECT set_config('synchronous_commit', 'off', true))
       INSERT INTO notify_log (merchant_id, api_version, kind, out_trade_no, outcome, reason, sign_type)
       SELECT m, v, 'pay', n, 'noop', NULL, s FROM lazy, unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(m, v, n, s)`,
      [
        items.map((p) => p.merchantId),
        items.map((p) => p.apiVersion),
        items.map((p) => p.outTradeNo),
        items.map((p) => p.signType),
      ],
    );
    return items.map(() => true);
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
