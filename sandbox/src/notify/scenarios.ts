/**
 * Fault injection: rules that match an order (or every order) and change how the sandbox
 * answers or notifies. Each action is data; the wire and notify modules ask `find`.
 */
import crypto from "node:crypto";
import { z } from "zod";

export const ScenarioRule = z
  .object({
    match: z
      .object({ out_trade_no: z.string().optional(), mchid: z.string().optional() })
      .strict()
      .optional(),
    action: z.enum([
      "drop_notify",
      "duplicate_notify",
      "delay_notify",
      "reorder_notify",
      "signtest_probe_first",
      "unknown_serial",
      "skew_timestamp",
      "tamper_amount",
      "prepay_error",
      "query_error",
      "close_error",
      "refund_error",
      "refund_outcome",
      "close_orderpaid",
      "login_error",
      // Trade bill plants (bills/plants.ts): the day's bill differs from the sandbox's own records.
      "bill_missing_at_wechat",
      "bill_missing_here",
      "bill_amount",
      "bill_state",
      "bill_refund",
      "bill_corrupt",
    ]),
    /** duplicate_notify: copies to send; *_error and login_error: matches before the rule is used up. */
    times: z.number().int().min(1).max(100).optional(),
    /** delay/reorder_notify: hold-back; timeout mode: how long to hold the request (default 15 s). */
    seconds: z.number().int().min(-86400).max(86400).optional(),
    ms: z.number().int().min(0).max(3_600_000).optional(),
    mode: z.enum(["SYSTEMERROR", "http_500", "timeout"]).optional(),
    /** refund_outcome: how the refund ends (default SUCCESS); `seconds` (WeChat time) until it does (default 5). */
    status: z.enum(["SUCCESS", "CLOSED", "ABNORMAL"]).optional(),
    /** login_error: the code2Session errcode to answer with (-1 busy, 45011 quota, 40226 blocked). */
    errcode: z.union([z.literal(-1), z.literal(45011), z.literal(40226)]).optional(),
    /** bill_amount, bill_refund, bill_missing_here: the amount the bill states, in fen. */
    amount_fen: z.number().int().min(1).max(100_000_000).optional(),
    /** bill_missing_here, bill_state: the payment time the bill states (ISO 8601); default now. */
    at: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type ScenarioRule = z.infer<typeof ScenarioRule>;
export type Action = ScenarioRule["action"];
export type StoredRule = ScenarioRule & { id: string };

/** What a rule is matched against; login has no order, so a rule naming an out_trade_no never matches it. */
export interface MatchKey {
  mchid: string;
  outTradeNo?: string;
}

export class Scenarios {
  private rules: StoredRule[] = [];
  private readonly uses = new Map<string, number>();

  add(rule: ScenarioRule): StoredRule {
    const stored = { ...rule, id: `sc_${crypto.randomBytes(6).toString("hex")}` };
    this.rules.push(stored);
    return stored;
  }

  clear(): number {
    const n = this.rules.length;
    this.rules = [];
    this.uses.clear();
    return n;
  }

  list(): StoredRule[] {
    return [...this.rules];
  }

  find(action: Action, key: MatchKey): StoredRule | undefined {
    return this.rules.find(
      (r) =>
        r.action === action &&
        (!r.match?.out_trade_no || r.match.out_trade_no === key.outTradeNo) &&
        (!r.match?.mchid || r.match.mchid === key.mchid),
    );
  }

  /** Every rule of one action that applies to a merchant (bill plants act on a whole day). */
  forMerchant(action: Action, mchid: string): StoredRule[] {
    return this.rules.filter((r) => r.action === action && (!r.match?.mchid || r.match.mchid === mchid));
  }

  /** find, counting a use: a rule with `times` is removed once it has matched that many requests. */
  take(action: Action, key: MatchKey): StoredRule | undefined {
    const r = this.find(action, key);
    if (r?.times === undefined) return r;
    const used = (this.uses.get(r.id) ?? 0) + 1;
    this.uses.set(r.id, used);
    if (used >= r.times) {
      this.rules = this.rules.filter((x) => x !== r);
      this.uses.delete(r.id);
    }
    return r;
  }
}
