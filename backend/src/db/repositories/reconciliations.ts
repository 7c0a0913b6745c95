/** Reconciliation runs and their mismatches, per merchant; and the orders a bill is compared with. */
import type { MismatchKind, OurOrder } from "../../domain/reconcile";
import { num, type Manager } from "./rows";

export interface NewRun {
  merchantId: string;
  billDate: string;
  status: "completed" | "failed";
  trigger: "schedule" | "admin";
  billFound: boolean;
  billRows: number;
  billSha1: string | null;
  matched: number;
  counts: Record<MismatchKind, number>;
  error: string | null;
  startedAt: Date;
  finishedAt: Date;
}

export interface RunRecord extends NewRun {
  id: string;
}

export interface NewMismatch {
  kind: MismatchKind;
  detail: string | null;
  orderId: string | null;
  refundId: string | null;
  outTradeNo: string | null;
  outRefundNo: string | null;
  wechat: Record<string, unknown> | null;
  ours: Record<string, unknown> | null;
}

export interface MismatchRecord extends NewMismatch {
  id: string;
}

interface RunRow {
  id: string;
  merchant_id: string;
  bill_date: string;
  status: "completed" | "failed";
  trigger: "schedule" | "admin";
  bill_found: boolean;
  bill_rows: number;
  bill_sha1: string | null;
  matched: number;
  missing_here: number;
  missing_at_wechat: number;
  amount_mismatch: number;
  state_mismatch: number;
  refund_mismatch: number;
  error: string | null;
  started_at: Date;
  finished_at: Date;
}

const toRun = (r: RunRow): RunRecord => ({
  id: String(r.id),
  merchantId: r.merchant_id,
  billDate: r.bill_date,
  status: r.status,
  trigger: r.trigger,
  billFound: r.bill_found,
  billRows: r.bill_rows,
  billSha1: r.bill_sha1,
  matched: r.matched,
  counts: {
    missing_here: r.missing_here,
    missing_at_wechat: r.missing_at_wechat,
    amount_mismatch: r.amount_mismatch,
    state_mismatch: r.state_mismatch,
    refund_mismatch: r.refund_mismatch,
  },
  error: r.error,
  startedAt: new Date(r.started_at),
  finishedAt: new Date(r.finished_at),
});

const ID = /^[1-9][0-9]{0,17}$/;
const RUN_COLUMNS = `id, merchant_id, to_char(bill_date, 'YYYY-MM-DD') AS bill_date, status, trigger, bill_found,
  bill_rows, bill_sha1, matched, missing_here, missing_at_wechat, amount_mismatch, state_mismatch,
  refund_mismatch, error, started_at, finished_at`;

export class ReconciliationsRepo {
  constructor(private readonly m: Manager) {}

  async insertRun(r: NewRun): Promise<string> {
    const c = r.counts;
    const rows: { id: string }[] = await this.m.query(
      `INSERT INTO reconciliation_runs (merchant_id, bill_date, status, trigger, bill_found, bill_rows, bill_sha1,
         matched, missing_here, missing_at_wechat, amount_mismatch, state_mismatch, refund_mismatch, error,
         started_at, finished_at)
       VALUES ($1, $2::date, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
      [
        r.merchantId,
        r.billDate,
        r.status,
        r.trigger,
        r.billFound,
        r.billRows,
        r.billSha1,
        r.matched,
        c.missing_here,
        c.missing_at_wechat,
        c.amount_mismatch,
        c.state_mismatch,
        c.refund_mismatch,
        r.error,
        r.startedAt,
        r.finishedAt,
      ],
    );
    return String(rows[0]!.id);
  }

  async insertMismatches(merchantId: string, runId: string, list: NewMismatch[]): Promise<void> {
    for (const x of list)
      await this.m.query(
        `INSERT INTO reconciliation_mismatches (run_id, merchant_id, kind, detail, order_id, refund_id, out_trade_no,
           out_refund_no, wechat, ours)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          runId,
          merchantId,
          x.kind,
          x.detail,
          x.orderId,
          x.refundId,
          x.outTradeNo,
          x.outRefundNo,
          x.wechat === null ? null : JSON.stringify(x.wechat),
          x.ours === null ? null : JSON.stringify(x.ours),
        ],
      );
  }

  /** Newest first, older than `beforeId`. */
  async page(merchantId: string, limit: number, beforeId: string | null): Promise<RunRecord[]> {
    const rows: RunRow[] = await this.m.query(
      `SELECT ${RUN_COLUMNS} FROM reconciliation_runs
       WHERE merchant_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint) ORDER BY id DESC LIMIT $3`,
      [merchantId, beforeId, limit],
    );
    return rows.map(toRun);
  }

  async get(merchantId: string, id: string): Promise<RunRecord | null> {
    if (!ID.test(id)) return null;
    const rows: RunRow[] = await this.m.query(
      `SELECT ${RUN_COLUMNS} FROM reconciliation_runs WHERE merchant_id = $1 AND id = $2::bigint`,
      [merchantId, id],
    );
    return rows[0] ? toRun(rows[0]) : null;
  }

  async mismatches(merchantId: string, runId: string): Promise<MismatchRecord[]> {
    const rows: {
      id: string;
      kind: MismatchKind;
      detail: string | null;
      order_id: string | null;
      refund_id: string | null;
      out_trade_no: string | null;
      out_refund_no: string | null;
      wechat: Record<string, unknown> | null;
      ours: Record<string, unknown> | null;
    }[] = await this.m.query(
      `SELECT id, kind, detail, order_id, refund_id, out_trade_no, out_refund_no, wechat, ours
       FROM reconciliation_mismatches WHERE merchant_id = $1 AND run_id = $2::bigint ORDER BY id`,
      [merchantId, runId],
    );
    return rows.map((r) => ({
      id: String(r.id),
      kind: r.kind,
      detail: r.detail,
      orderId: r.order_id,
      refundId: r.refund_id,
      outTradeNo: r.out_trade_no,
      outRefundNo: r.out_refund_no,
      wechat: r.wechat,
      ours: r.ours,
    }));
  }

  /**
   * The orders a day's bill is compared with: every order using one of `tradeNumbers`, and every
   * order paid within [from, to) (a window wider than the day; the compare checks the day itself).
   */
  async ordersForBill(merchantId: string, tradeNumbers: string[], from: Date, to: Date): Promise<OurOrder[]> {
    const rows: {
      id: string;
      state: OurOrder["state"];
      total_fen: string;
      paid_at: Date | null;
      numbers: string[];
    }[] = await this.m.query(
      `WITH wanted AS (
         SELECT o.id FROM orders o
         WHERE o.merchant_id = $1 AND (o.out_trade_no = ANY($2::text[]) OR (o.paid_at >= $3 AND o.paid_at < $4))
         UNION
         SELECT t.order_id FROM trade_numbers t WHERE t.merchant_id = $1 AND t.out_trade_no = ANY($2::text[]))
       SELECT o.id, o.state, o.total_fen, o.paid_at,
         ARRAY[o.out_trade_no] || ARRAY(SELECT t.out_trade_no FROM trade_numbers t
           WHERE t.merchant_id = o.merchant_id AND t.order_id = o.id AND t.out_trade_no <> o.out_trade_no
           ORDER BY t.created_at) AS numbers
       FROM orders o JOIN wanted w ON w.id = o.id`,
      [merchantId, tradeNumbers, from, to],
    );
    return rows.map((r) => ({
      id: r.id,
      state: r.state,
      totalFen: num(r.total_fen),
      paidAt: r.paid_at ? new Date(r.paid_at) : null,
      tradeNumbers: r.numbers,
    }));
  }
}
