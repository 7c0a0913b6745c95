/** The dashboard's numbers from GET /admin/v1/reports/daily (pure, so it is unit-tested). */
import type { DailyReportDay, OrderState } from "@minipay/shared";

/** States an order can only be in after it was paid. */
const PAID_STATES: readonly OrderState[] = ["paid", "refunding", "partially_refunded", "refunded"];

export interface Summary {
  paidFen: number;
  paidCount: number;
  refundedFen: number;
  /** Orders made in the period, and how many of those have been paid (whatever happened since). */
  created: number;
  converted: number;
  today: { paidFen: number; paidCount: number };
}

export function summarize(days: readonly DailyReportDay[], today: string): Summary {
  const s: Summary = {
    paidFen: 0,
    paidCount: 0,
    refundedFen: 0,
    created: 0,
    converted: 0,
    today: { paidFen: 0, paidCount: 0 },
  };
  for (const d of days) {
    s.paidFen += d.paidFen;
    s.paidCount += d.paidCount;
    s.refundedFen += d.refundedFen;
    for (const [state, n] of Object.entries(d.ordersByState) as [OrderState, number][]) {
      s.created += n;
      if (PAID_STATES.includes(state)) s.converted += n;
    }
    if (d.date === today) s.today = { paidFen: d.paidFen, paidCount: d.paidCount };
  }
  return s;
}

/** Every day from `from` to `to`, with the report's numbers or zeros (the chart needs no gaps). */
export function chartSeries(days: readonly DailyReportDay[], from: string, to: string) {
  const byDate = new Map(days.map((d) => [d.date, d]));
  const labels: string[] = [];
  const paidYuan: number[] = [];
  const paidCount: number[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    const date = new Date(t).toISOString().slice(0, 10);
    const d = byDate.get(date);
    labels.push(date.slice(5));
    paidYuan.push((d?.paidFen ?? 0) / 100); // a chart axis, not a money display
    paidCount.push(d?.paidCount ?? 0);
  }
  return { labels, paidYuan, paidCount };
}
