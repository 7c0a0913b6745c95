/** One row per inbound notify: what came, for which merchant, and what we made of it. */
import type { Manager } from "./rows";

export interface NotifyLogEntry {
  merchantId: string | null;
  apiVersion: "v2" | "v3";
  kind: "pay" | "refund";
  outTradeNo: string | null;
  outcome: string;
  reason: string | null;
  signType?: string | null;
}

export class NotifyLogRepo {
  constructor(private readonly m: Manager) {}

  async insert(e: NotifyLogEntry): Promise<void> {
    await this.m.query(
      `INSERT INTO notify_log (merchant_id, api_version, kind, out_trade_no, outcome, reason, sign_type)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [e.merchantId, e.apiVersion, e.kind, e.outTradeNo, e.outcome, e.reason, e.signType ?? null],
    );
  }
}
