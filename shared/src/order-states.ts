/** Order states as the client sees them. The allowed transitions live in backend/src/domain. */
export const ORDER_STATES = [
  "created",
  "paying",
  "paid",
  "closed",
  "expired",
  "failed",
  "refunding",
  "partially_refunded",
  "refunded",
] as const;
export type OrderState = (typeof ORDER_STATES)[number];

/** States from which the shopper may (still) pay. */
export const PAYABLE_STATES: readonly OrderState[] = ["created", "paying"];

/** States in which nothing more will happen without a merchant action. */
export const FINAL_STATES: readonly OrderState[] = [
  "paid",
  "closed",
  "expired",
  "failed",
  "partially_refunded",
  "refunded",
];

export function isPayable(state: OrderState): boolean {
  return PAYABLE_STATES.includes(state);
}

export function isFinal(state: OrderState): boolean {
  return FINAL_STATES.includes(state);
}

/** States in which WeChat has the shopper's money (some of it may be on its way back). */
export const PAID_STATES: readonly OrderState[] = ["paid", "refunding", "partially_refunded", "refunded"];

export function isPaid(state: OrderState): boolean {
  return PAID_STATES.includes(state);
}
