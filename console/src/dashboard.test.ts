import { ORDER_STATES, type DailyReportDay, type OrderState } from "@minipay/shared";
import { chartSeries, summarize } from "./dashboard";

/** A report day as the API sends it: every state present, zeros where none. */
const day = (
  date: string,
  over: Omit<Partial<DailyReportDay>, "ordersByState"> & {
    ordersByState?: Partial<Record<OrderState, number>>;
  } = {},
): DailyReportDay => ({
  date,
  paidCount: 0,
  paidFen: 0,
  refundedFen: 0,
  netFen: 0,
  ...over,
  ordersByState: { ...Object.fromEntries(ORDER_STATES.map((s) => [s, 0])), ...over.ordersByState } as Record<
    OrderState,
    number
  >,
});

describe("dashboard numbers", () => {
  it("adds up the days, counts paid-then-refunded orders as converted, and picks today", () => {
    const s = summarize(
      [
        day("2026-11-24", { ordersByState: { paid: 2, closed: 1, expired: 1 }, paidCount: 2, paidFen: 1980 }),
        day("2026-11-25", {
          ordersByState: { partially_refunded: 1, created: 1 },
          paidCount: 1,
          paidFen: 12800,
          refundedFen: 500,
        }),
      ],
      "2026-11-25",
    );
    expect(s).toEqual({
      paidFen: 14780,
      paidCount: 3,
      refundedFen: 500,
      created: 6,
      converted: 3,
      today: { paidFen: 12800, paidCount: 1 },
    });
    expect(summarize([], "2026-11-25").today).toEqual({ paidFen: 0, paidCount: 0 });
  });

  it("fills the chart's days with zeros where the report has none", () => {
    const c = chartSeries([day("2026-11-24", { paidFen: 990, paidCount: 1 })], "2026-11-23", "2026-11-25");
    expect(c).toEqual({ labels: ["11-23", "11-24", "11-25"], paidYuan: [0, 9.9, 0], paidCount: [0, 1, 0] });
  });
});
