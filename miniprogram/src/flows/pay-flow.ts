/**
 * The pay flow, as plain logic (no Vue, no uni): place the order (idempotent per confirm visit),
 * create or reuse the payment, open the sheet with exactly the backend's params. What the sheet
 * says is only a hint: the result page asks the backend (OrderWatcher) and waits there, once.
 */
import {
  isFinal,
  isPayable,
  type CreateOrderRequest,
  type Order,
  type PaymentResponse,
} from "@minipay/shared";
import type { Platform } from "../platform/types";

export interface PayApi {
  createOrder(req: CreateOrderRequest, idempotencyKey: string): Promise<Order>;
  createPayment(id: string, method: "jsapi" | "native"): Promise<PaymentResponse>;
  verify(id: string): Promise<Order>;
}

export interface Timing {
  sleep(ms: number): Promise<void>;
  now(): number;
}

export type PayResult =
  | { kind: "ignored" } // a tap while another payment was running
  | { kind: "redirected"; orderId: string } // H5 sandbox: the cashier page took over
  | { kind: "not-payable"; order: Order } // already paid, closed or expired: show it
  | { kind: "returned"; callback: "ok" | "cancel" | "fail"; orderId: string };

export class PayFlow {
  private busy = false;

  constructor(
    private readonly api: Pick<PayApi, "createOrder" | "createPayment">,
    private readonly platform: Pick<Platform, "requestPayment">,
  ) {}

  get inProgress(): boolean {
    return this.busy;
  }

  /**
   * Place the order (the same key returns the same order, however often this runs) and pay it.
   * A second tap while one runs is ignored.
   */
  checkout(items: CreateOrderRequest["items"], idempotencyKey: string): Promise<PayResult> {
    return this.exclusive(async () => {
      const order = await this.api.createOrder({ items }, idempotencyKey);
      if (!isPayable(order.state)) return { kind: "not-payable", order };
      return this.openSheet(order.id);
    });
  }

  /** Pay an existing order (order detail, "pay again"). */
  pay(orderId: string): Promise<PayResult> {
    return this.exclusive(() => this.openSheet(orderId));
  }

  /** Place the order for a QR payment; the result page shows the code and waits. */
  placeForQr(items: CreateOrderRequest["items"], idempotencyKey: string): Promise<Order | null> {
    return this.exclusive(() => this.api.createOrder({ items }, idempotencyKey)).then((r) =>
      "kind" in r ? null : r,
    );
  }

  private async exclusive<T>(fn: () => Promise<T>): Promise<T | { kind: "ignored" }> {
    if (this.busy) return { kind: "ignored" };
    this.busy = true;
    try {
      return await fn();
    } finally {
      this.busy = false;
    }
  }

  private async openSheet(orderId: string): Promise<PayResult> {
    const p = await this.api.createPayment(orderId, "jsapi");
    if (p.method !== "jsapi") throw new Error("expected JSAPI params");
    const callback = await this.platform.requestPayment(p.params, { orderId });
    if (callback === "redirected") return { kind: "redirected", orderId };
    return { kind: "returned", callback, orderId };
  }
}

export const POLL = { firstDelayMs: 1000, factor: 1.5, maxDelayMs: 5000, slowAfterMs: 30_000 };

export interface WatchState {
  order: Order | null;
  /** Still not final after ~30 s: tell the shopper it is being confirmed (My orders). */
  slow: boolean;
  /** Polling has ended (final, gave up after the slow mark, QR expired, or stopped). */
  done: boolean;
}

export interface WatchOptions {
  /** "cancel" / "fail" from the sheet: ask once (money may still have moved), do not wait. */
  once?: boolean;
  /** A live QR code: keep polling until this time (ms since epoch), not just ~30 s. */
  liveUntil?: number;
}

/**
 * Verify now, then again after ~1 s, 1.5 s, 2.25 s… (capped at 5 s) while the order can still
 * turn paid: ~30 s after a sheet said ok, or as long as a QR code is live. nudge() checks at once
 * ("I have paid"); stop() ends it (page closed). Errors end it too and are thrown: the page shows
 * them with a retry, which starts a new run.
 */
export class OrderWatcher {
  private stopped = false;
  private wake: (() => void) | null = null;
  /** A nudge that came while a check was in flight: the next pause is skipped. */
  private nudged = false;
  readonly state: WatchState = { order: null, slow: false, done: false };

  constructor(
    private readonly api: Pick<PayApi, "verify">,
    private readonly orderId: string,
    private readonly t: Timing,
    private readonly onUpdate: (s: WatchState) => void = () => undefined,
  ) {}

  nudge(): void {
    if (this.wake) this.wake();
    else this.nudged = true; // a check is running: check once more as soon as it ends
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  async run(opts: WatchOptions = {}): Promise<WatchState> {
    const start = this.t.now();
    this.state.done = false;
    let delay = POLL.firstDelayMs;
    for (;;) {
      if (this.stopped) break;
      let order: Order;
      try {
        order = await this.api.verify(this.orderId);
      } catch (e) {
        if ((e as { code?: string }).code !== "RATE_LIMITED") throw e;
        delay = POLL.maxDelayMs; // asked too often: keep waiting, more slowly
        await this.pause(delay);
        continue;
      }
      if (this.stopped) break;
      this.state.order = order;
      const elapsed = this.t.now() - start;
      this.state.slow = !isFinal(order.state) && elapsed >= POLL.slowAfterMs;
      const qrLive = opts.liveUntil !== undefined && this.t.now() + delay < opts.liveUntil;
      const keepGoing = !isFinal(order.state) && !opts.once && (elapsed + delay < POLL.slowAfterMs || qrLive);
      if (!keepGoing) {
        // Gave up waiting on a sheet's "ok": say it is being confirmed rather than spin on.
        if (!isFinal(order.state) && !opts.once && opts.liveUntil === undefined) this.state.slow = true;
        break;
      }
      this.onUpdate(this.state);
      await this.pause(delay);
      delay = Math.min(POLL.maxDelayMs, Math.round(delay * POLL.factor));
    }
    this.state.done = true;
    this.onUpdate(this.state);
    return this.state;
  }

  private pause(ms: number): Promise<void> {
    if (this.nudged) {
      this.nudged = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      this.t.sleep(ms).then(resolve);
    }).finally(() => (this.wake = null));
  }
}
