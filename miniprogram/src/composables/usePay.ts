/**
 * The pay module for uni-app pages: login, order, pay and verify, with one `paying` flag and one
 * error text. Pages of this shop use `checkout`/`payOrder` and let the result page wait;
 * `payAndVerify` does the whole thing in place (MinipayPayButton uses it).
 */
import { ref } from "vue";
import { isFinal, isPayable, type CreateOrderRequest, type Order } from "@minipay/shared";
import { lang, ready, watchOrder } from "../app-context";
import type { PayResult } from "../flows/pay-flow";
import { errorText, messageFor, t } from "../i18n";

export type PayOutcome =
  | { status: "success"; order: Order; message: "" }
  | { status: "cancel"; order: Order | null; message: string }
  | { status: "fail"; order: Order | null; message: string };

/** Where this shop shows the outcome of a sheet: the result page, which does the waiting. */
export function showResult(r: PayResult | null): void {
  if (!r) return; // a second tap, or an error the page shows
  if (r.kind === "returned")
    uni.redirectTo({ url: `/pages/result/result?orderId=${r.orderId}&payResult=${r.callback}` });
  else if (r.kind === "not-payable") uni.redirectTo({ url: `/pages/result/result?orderId=${r.order.id}` });
  // "redirected": the H5 cashier comes back to the result page by itself; "ignored": nothing to do.
}

export function usePay() {
  const paying = ref(false);
  const error = ref("");

  async function run<T>(fn: () => Promise<T>): Promise<T | null> {
    if (paying.value) return null; // one payment at a time, whatever the shopper taps
    paying.value = true;
    error.value = "";
    try {
      return await fn();
    } catch (e) {
      error.value = errorText(e, lang());
      return null;
    } finally {
      paying.value = false;
    }
  }

  /** Place the order for this confirm visit's key and open the sheet. */
  const checkout = (items: CreateOrderRequest["items"], key: string) =>
    run(async () => (await ready()).payFlow.checkout(items, key));

  /** Pay an order that exists already. */
  const payOrder = (orderId: string) => run(async () => (await ready()).payFlow.pay(orderId));

  /** Place the order for a QR payment (the result page shows the code). */
  const placeForQr = (items: CreateOrderRequest["items"], key: string) =>
    run(async () => (await ready()).payFlow.placeForQr(items, key));

  /** The whole flow in place, ending with the backend's answer. */
  const payAndVerify = (items: CreateOrderRequest["items"], key: string) =>
    run(async (): Promise<PayOutcome> => {
      const c = await ready();
      const r = await c.payFlow.checkout(items, key);
      if (r.kind === "ignored" || r.kind === "redirected")
        return { status: "fail", order: null, message: "" };
      const orderId = r.kind === "not-payable" ? r.order.id : r.orderId;
      const w = await watchOrder(orderId, () => undefined);
      const s = await w.run({ once: r.kind === "returned" && r.callback !== "ok" });
      const order = s.order!;
      if (order.state === "paid") return { status: "success", order, message: "" };
      if (r.kind === "returned" && r.callback === "cancel" && isPayable(order.state))
        return { status: "cancel", order, message: t(lang(), "result.cancelled") };
      return {
        status: "fail",
        order,
        message: isFinal(order.state)
          ? messageFor("ORDER_NOT_PAYABLE", lang())
          : t(lang(), "result.confirming"),
      };
    });

  return { paying, error, checkout, payOrder, placeForQr, payAndVerify };
}
