/**
 * The pay flow, as plain logic: create (or reuse) the payment, open the sheet with exactly the
 * backend's params, then trust only the backend: verify, and poll with backoff until the order is
 * final. A second tap while a payment is in progress is ignored.
 */
import { isFinal, type Order, type PaymentResponse } from "@minipay/shared";
import type { Platform } from "../platform/types";

export interface PayApi {
  createPayment(id: string, method: "jsapi" | "native"): Promise<PaymentResponse>;
  verify(id: string): Promise<Order>;
}

export interface Timing {
  sleep(ms: number): Promise<void>;
  now(): number;
}

export const POLL = { firstDelayMs: 1000, factor: 1.5, maxDelayMs: 5000, totalMs: 30_000 };

/**
 * Verify now, then again after ~1 s, 1.5 s, 2.25 s… (capped at 5 s) until the order is final or
 * ~30 s have passed; returns the last answer either way (the UI says "still confirming").
 */
export async function pollUntilFinal(
  api: Pick<PayApi, "verify">,
  orderId: string,
  t: Timing,
  onUpdate?: (o: Order) => void,
): Promise<Order> {
  const start = t.now();
  let order = await api.verify(orderId);
  onUpdate?.(order);
  let delay = POLL.firstDelayMs;
  while (!isFinal(order.state) && t.now() - start + delay <= POLL.totalMs) {
    await t.sleep(delay);
    order = await api.verify(orderId);
    onUpdate?.(order);
    delay = Math.min(POLL.maxDelayMs, Math.round(delay * POLL.factor));
  }
  return order;
}

export type PayResult =
  | { kind: "ignored" } // a tap while another payment was running
  | { kind: "redirected" } // H5 sandbox: the cashier page took over
  | { kind: "done"; callback: "ok" | "cancel" | "fail"; order: Order };

export class PayFlow {
  private busy = false;

  constructor(
    private readonly api: PayApi,
    private readonly platform: Platform,
    private readonly timing: Timing,
  ) {}

  get inProgress(): boolean {
    return this.busy;
  }

  async pay(orderId: string): Promise<PayResult> {
    if (this.busy) return { kind: "ignored" };
    this.busy = true;
    try {
      const p = await this.api.createPayment(orderId, "jsapi");
      if (p.method !== "jsapi") throw new Error("expected JSAPI params");
      const callback = await this.platform.requestPayment(p.params, { orderId });
      if (callback === "redirected") return { kind: "redirected" };
      return { kind: "done", callback, order: await settleAfter(this.api, orderId, callback, this.timing) };
    } finally {
      this.busy = false;
    }
  }
}

/**
 * After the sheet closes: on "ok" poll until final; on cancel or fail ask once (a payment may still
 * have gone through), leaving a payable order payable.
 */
export async function settleAfter(
  api: Pick<PayApi, "verify">,
  orderId: string,
  callback: string,
  t: Timing,
  onUpdate?: (o: Order) => void,
): Promise<Order> {
  if (callback === "ok") return pollUntilFinal(api, orderId, t, onUpdate);
  const o = await api.verify(orderId);
  onUpdate?.(o);
  return o;
}
