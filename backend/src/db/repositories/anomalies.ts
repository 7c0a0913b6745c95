/** Anomalies as a merchant sees them: their own only, newest first, resolved once with a note. */
import { returningRows, type Manager } from "./rows";
import type { AnomalyRecord } from "./types";

interface Row {
  id: string;
  merchant_id: string;
  order_id: string | null;
  out_trade_no: string | null;
  kind: string;
  source: string;
  facts: Record<string, unknown>;
  created_at: Date;
  resolved_at: Date | null;
  resolution_note: string | null;
  resolved_by_key_id: string | null;
}

const toRecord = (r: Row): AnomalyRecord => ({
  id: String(r.id),
  merchantId: r.merchant_id,
  orderId: r.order_id,
  outTradeNo: r.out_trade_no,
  kind: r.kind,
  source: r.source,
  facts: r.facts ?? {},
  createdAt: new Date(r.created_at),
  resolvedAt: r.resolved_at ? new Date(r.resolved_at) : null,
  resolutionNote: r.resolution_note,
  resolvedByKeyId: r.resolved_by_key_id,
});

const ID = /^[1-9][0-9]{0,17}$/;

export interface AnomalyFilter {
  kind?: string;
  resolved?: boolean;
}

export class AnomaliesRepo {
  constructor(private readonly m: Manager) {}

  /** One page, newest first, of anomalies older than `q.beforeId`. */
  async page(
    merchantId: string,
    q: { filter: AnomalyFilter; limit: number; beforeId: string | null },
  ): Promise<AnomalyRecord[]> {
    const { filter: f, limit, beforeId } = q;
    const rows: Row[] = await this.m.query(
      `SELECT * FROM anomalies
       WHERE merchant_id = $1 AND ($2::text IS NULL OR kind = $2)
         AND ($3::boolean IS NULL OR (resolved_at IS NOT NULL) = $3)
         AND ($4::bigint IS NULL OR id < $4::bigint)
       ORDER BY id DESC LIMIT $5`,
      [merchantId, f.kind ?? null, f.resolved ?? null, beforeId, limit],
    );
    return rows.map(toRecord);
  }

  /** The anomalies recorded against one of the merchant's orders, oldest first. */
  async forOrder(merchantId: string, orderId: string): Promise<AnomalyRecord[]> {
    const rows: Row[] = await this.m.query(
      `SELECT * FROM anomalies WHERE merchant_id = $1 AND order_id = $2 ORDER BY id`,
      [merchantId, orderId],
    );
    return rows.map(toRecord);
  }

  /** One of this merchant's anomalies, locked for the caller's transaction. */
  async lock(merchantId: string, id: string): Promise<AnomalyRecord | null> {
    if (!ID.test(id)) return null;
    const rows: Row[] = await this.m.query(
      `SELECT * FROM anomalies WHERE merchant_id = $1 AND id = $2::bigint FOR UPDATE`,
      [merchantId, id],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async resolve(
    merchantId: string,
    id: string,
    r: { note: string; keyId: string | null; at: Date },
  ): Promise<AnomalyRecord | null> {
    const res = await this.m.query(
      `UPDATE anomalies SET resolved_at = $3, resolution_note = $4, resolved_by_key_id = $5
       WHERE merchant_id = $1 AND id = $2::bigint AND resolved_at IS NULL RETURNING *`,
      [merchantId, id, r.at, r.note, r.keyId],
    );
    const rows = returningRows<Row>(res);
    return rows[0] ? toRecord(rows[0]) : null;
  }
}
