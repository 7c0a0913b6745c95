/**
 * The refund dialog's arithmetic and bookkeeping, pure so it is unit-tested. The server has the last
 * word (it locks the order and re-adds the refunds, README "Refunds"); the console only avoids sending
 * what it already knows will be refused, and never sends the same refund twice.
 */
import type { AdminOrderDetail, AdminRefund, CreateRefundRequest, OrderState } from "@minipay/shared";
import { parseYuan } from "./format";

/** Refunds that no longer hold any money: WeChat refused or closed them. */
const FREED: readonly AdminRefund["state"][] = ["failed", "closed"];
/** Only these order states take a refund (the API answers 409 REFUND_NOT_ALLOWED otherwise). */
const REFUNDABLE_STATES: readonly OrderState[] = ["paid", "partially_refunded"];

/** What can still be refunded: the amount paid minus every refund that is not failed or closed. */
export function refundableFen(order: Pick<AdminOrderDetail, "totalFen" | "refunds">): number {
  const held = order.refunds.filter((r) => !FREED.includes(r.state)).reduce((s, r) => s + r.amountFen, 0);
  return Math.max(0, order.totalFen - held);
}

/** Whether the refund button is drawn for this order at all. */
export function canRefund(order: Pick<AdminOrderDetail, "state" | "totalFen" | "refunds">): boolean {
  return REFUNDABLE_STATES.includes(order.state) && refundableFen(order) > 0;
}

export type AmountCheck = { fen: number } | { error: "badAmount" | "zero" | "overRemainder" };

/** The amount typed in yuan, checked against the remainder. */
export function checkRefundAmount(input: string, remainderFen: number): AmountCheck {
  const fen = parseYuan(input);
  if (fen === null) return { error: "badAmount" };
  if (fen <= 0) return { error: "zero" };
  if (fen > remainderFen) return { error: "overRemainder" };
  return { fen };
}

/** WeChat shows the reason to the shopper and takes at most 80 characters on one line. */
export const MAX_REASON = 80;
export function checkReason(input: string): string | undefined | { error: "badReason" } {
  const r = input.trim();
  if (!r) return undefined;
  if (r.length > MAX_REASON || /[\r\n\t]/.test(r)) return { error: "badReason" };
  return r;
}

/**
 * The Idempotency-Key of one dialog: made when the dialog opens and kept while the same request is
 * sent again after an answer that may not have been the server's last word (network error, 5xx,
 * unreadable answer): the server then replays the refund it made instead of making another. A new
 * key is made when the request changes (the server refuses a key reused with another body:
 * IDEMPOTENCY_KEY_REUSED) and after a 4xx refusal (nothing to protect: the next send is a new ask).
 */
export class RefundAttempt {
  private sent: string | null = null;
  constructor(
    private readonly makeKey: () => string,
    private key = makeKey(),
  ) {}

  keyFor(req: CreateRefundRequest): string {
    const body = JSON.stringify({ amountFen: req.amountFen, reason: req.reason ?? null });
    if (this.sent !== null && this.sent !== body) this.key = this.makeKey();
    this.sent = body;
    return this.key;
  }

  /** The send failed with this HTTP status (0: no answer). */
  failed(status: number): void {
    if (status >= 400 && status < 500) {
      this.key = this.makeKey();
      this.sent = null;
    }
  }
}

/** A key the server accepts (8–128 of [A-Za-z0-9_.:-]) from the browser's random UUID. */
export const newIdempotencyKey = (uuid: () => string = () => crypto.randomUUID()): string =>
  `console-${uuid()}`;
