/**
 * Planted differences for reconciliation tests: scenario rules (notify/scenarios.ts) that make a
 * merchant's trade bill disagree with the sandbox's own records, one way each. They rewrite the
 * history the bill is built from (copies; the store is untouched), so the bill format stays the
 * one trade-bill.ts writes.
 * - bill_missing_at_wechat {out_trade_no}: the payment is left out of the bill.
 * - bill_missing_here {out_trade_no, amount_fen?, at?}: the bill lists a paid order nobody made.
 * - bill_amount {out_trade_no, amount_fen}: the bill states another amount for the payment.
 * - bill_state {out_trade_no, at?}: an order that was never paid appears paid in the bill.
 * - bill_refund {out_trade_no, amount_fen}: the order's refunds appear with another amount.
 * bill_corrupt (v3 file download only) is applied by the download route.
 */
import { randomDigits } from "../crypto/random";
import type { Scenarios, StoredRule } from "../notify/scenarios";
import type { SandboxOrder, SandboxRefund } from "../state/store";

export interface History {
  orders: SandboxOrder[];
  refunds: SandboxRefund[];
}

const byOrder = (rules: StoredRule[]) => {
  const m = new Map<string, StoredRule>();
  for (const r of rules) if (r.match?.out_trade_no) m.set(r.match.out_trade_no, r);
  return m;
};

export function plantBillDifferences(h: History, scenarios: Scenarios, mchid: string, now: number): History {
  const rules = (a: Parameters<Scenarios["forMerchant"]>[0]) => byOrder(scenarios.forMerchant(a, mchid));
  const dropped = rules("bill_missing_at_wechat");
  const amount = rules("bill_amount");
  const state = rules("bill_state");
  const refund = rules("bill_refund");
  const when = (r: StoredRule) => (r.at ? Date.parse(r.at) : now);

  const orders = h.orders
    .filter((o) => !dropped.has(o.outTradeNo))
    .map((o) => {
      let out = o;
      const a = amount.get(o.outTradeNo);
      if (a?.amount_fen) out = { ...out, totalFen: a.amount_fen };
      const s = state.get(o.outTradeNo);
      if (s && out.tradeState !== "SUCCESS" && out.tradeState !== "REFUND")
        out = {
          ...out,
          tradeState: "SUCCESS",
          successTime: when(s),
          transactionId: out.transactionId ?? `4200${randomDigits(24)}`,
        };
      return out;
    });
  for (const r of scenarios.forMerchant("bill_missing_here", mchid)) {
    const no = r.match?.out_trade_no;
    if (!no || h.orders.some((o) => o.outTradeNo === no)) continue;
    const like = h.orders[0];
    orders.push({
      mchid,
      appid: like?.appid ?? "wx0000000000000000",
      apiVersion: like?.apiVersion ?? "v3",
      outTradeNo: no,
      tradeType: "JSAPI",
      description: "planted",
      totalFen: r.amount_fen ?? 100,
      openid: `o${randomDigits(27)}`,
      notifyUrl: "",
      attach: null,
      prepayId: null,
      codeUrl: null,
      prepayExpiresAt: 0,
      timeExpire: null,
      createdAt: when(r),
      tradeState: "SUCCESS",
      transactionId: `4200${randomDigits(24)}`,
      successTime: when(r),
      refundedFen: 0,
      fingerprint: "planted",
    });
  }
  const refunds = h.refunds.map((rf) => {
    const r = refund.get(rf.outTradeNo);
    return r?.amount_fen ? { ...rf, refundFen: r.amount_fen } : rf;
  });
  return { orders, refunds };
}

/** The v3 file as bill_corrupt serves it: one character of the text changed, so its hash no longer matches. */
export function corrupt(text: string): string {
  const i = text.lastIndexOf("`") + 1;
  const ch = text[i] === "1" ? "2" : "1";
  return text.slice(0, i) + ch + text.slice(i + 1);
}
