import type { Order } from "@minipay/shared";

/** One unpaid order for unit tests; override what a case needs. */
export const anOrder = (over: Partial<Order> = {}): Order => ({
  id: "o1",
  outTradeNo: "MP20261124AAAAAAAAAAAAAAAA",
  state: "created",
  totalFen: 100,
  refundedFen: 0,
  currency: "CNY",
  description: "x",
  items: [],
  createdAt: "2026-11-24T10:00:00.000Z",
  expiresAt: "2026-11-24T10:30:00.000Z",
  paidAt: null,
  transactionId: null,
  ...over,
});
