/**
 * The audit log: one row per admin change, written in the change's own transaction. The table
 * refuses UPDATE and DELETE (a trigger), so this repository only appends and reads.
 */
import type { Manager } from "./rows";
import type { AuditRecord, NewAuditRecord } from "./types";

interface Row {
  id: string;
  merchant_id: string;
  at: Date;
  actor_key_id: string | null;
  actor_key_name: string;
  action: string;
  target_type: string;
  target_id: string;
  before: unknown;
  after: unknown;
  request_id: string | null;
}

const toRecord = (r: Row): AuditRecord => ({
  id: String(r.id),
  merchantId: r.merchant_id,
  at: new Date(r.at),
  actorKeyId: r.actor_key_id,
  actorKeyName: r.actor_key_name,
  action: r.action,
  targetType: r.target_type,
  targetId: r.target_id,
  before: r.before ?? null,
  after: r.after ?? null,
  requestId: r.request_id,
});

export class AuditRepo {
  constructor(private readonly m: Manager) {}

  async append(e: NewAuditRecord): Promise<void> {
    await this.m.query(
      `INSERT INTO audit_log (merchant_id, at, actor_key_id, actor_key_name, action, target_type, target_id,
         before, after, request_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        e.merchantId,
        e.at,
        e.actorKeyId,
        e.actorKeyName,
        e.action,
        e.targetType,
        e.targetId,
        e.before === null ? null : JSON.stringify(e.before),
        e.after === null ? null : JSON.stringify(e.after),
        e.requestId,
      ],
    );
  }

  /** Newest first (by id, the append order); `beforeId` continues after a page's last row. */
  async page(merchantId: string, limit: number, beforeId: string | null): Promise<AuditRecord[]> {
    const rows: Row[] = await this.m.query(
      `SELECT * FROM audit_log WHERE merchant_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
       ORDER BY id DESC LIMIT $3`,
      [merchantId, beforeId, limit],
    );
    return rows.map(toRecord);
  }
}
