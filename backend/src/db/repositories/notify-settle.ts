/**
 * The one-statement settle for payment notifies (migration NotifySettle, function
 * settle_notify_paid): the order move, its event and outbox row and the notify_log row commit
 * together in one round trip. It only carries out what the caller allowed; 'fallback' means
 * nothing was written.
 */
import type { OrderState } from "@minipay/shared";
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

export class NotifySettleRepo {
  constructor(private readonly m: Manager) {}

  async settlePaid(p: NotifySettleInput): Promise<NotifySettleResult> {
    const rows: { result: string; order_id: string | null; from_state: OrderState | null }[] =
      await this.m.query(
        `SELECT result, order_id, from_state FROM settle_notify_paid($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          p.merchantId,
          p.outTradeNo,
          p.transactionId,
          p.totalFen,
          p.paidAt,
          p.to,
          p.from,
          p.already,
          p.source,
          JSON.stringify(p.eventData),
          p.apiVersion,
          p.signType,
        ],
      );
    const row = rows[0];
    if (row?.result === "applied")
      return { result: "applied", orderId: row.order_id!, from: row.from_state! };
    if (row?.result === "duplicate")
      return { result: "duplicate", orderId: row.order_id!, state: row.from_state! };
    return { result: "fallback" };
  }
}
