/**
 * The daily report: per local day (Asia/Shanghai) from `from` to `to`, orders made that day by
 * state, and orders paid that day with their amount, what was refunded of them, and the net.
 * Refunds count on the day the order was paid (refund times are not recorded separately).
 */
import {
  ORDER_STATES,
  REPORT_TIME_ZONE,
  type DailyReport,
  type DailyReportDay,
  type OrderState,
} from "@minipay/shared";
import type { ServiceDeps } from "../deps";

/** Every calendar date from `from` to `to`, inclusive (YYYY-MM-DD). */
export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000)
    out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

export class ReportService {
  constructor(private readonly deps: ServiceDeps) {}

  async daily(merchantId: string, from: string, to: string): Promise<DailyReport> {
    const { orders } = this.deps.db.repos;
    const [created, paid] = await Promise.all([
      orders.createdByDay(merchantId, from, to, REPORT_TIME_ZONE),
      orders.paidByDay(merchantId, from, to, REPORT_TIME_ZONE),
    ]);
    const days = new Map<string, DailyReportDay>(
      datesBetween(from, to).map((date) => [
        date,
        {
          date,
          ordersByState: Object.fromEntries(ORDER_STATES.map((s) => [s, 0])) as Record<OrderState, number>,
          paidCount: 0,
          paidFen: 0,
          refundedFen: 0,
          netFen: 0,
        },
      ]),
    );
    for (const c of created) {
      const d = days.get(c.day);
      if (d) d.ordersByState[c.state] = c.n;
    }
    for (const p of paid) {
      const d = days.get(p.day);
      if (!d) continue;
      d.paidCount = p.n;
      d.paidFen = p.fen;
      d.refundedFen = p.refundedFen;
      d.netFen = p.fen - p.refundedFen;
    }
    return { timeZone: REPORT_TIME_ZONE, from, to, days: [...days.values()] };
  }
}
