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
      "query_error",
      "close_error",
      "refund_error",
      "close_orderpaid",
      "login_error",
    ]),
    times: z.number().int().min(1).max(100).optional(),
    seconds: z.number().int().min(-86400).max(86400).optional(),
    ms: z.number().int().min(0).max(3_600_000).optional(),
    mode: z.enum(["SYSTEMERROR", "http_500", "timeout"]).optional(),
    /** login_error: the code2Session errcode to answer with (-1 busy, 45011 quota, 40226 blocked). */
    errcode: z.union([z.literal(-1), z.literal(45011), z.literal(40226)]).optional(),
  })
  .strict();
export type ScenarioRule = z.infer<typeof ScenarioRule>;
export type Action = ScenarioRule["action"];
export type StoredRule = ScenarioRule & { id: string };

export class Scenarios {
  private rules: StoredRule[] = [];

  add(rule: ScenarioRule): StoredRule {
    const stored = { ...rule, id: `sc_${crypto.randomBytes(6).toString("hex")}` };
    this.rules.push(stored);
    return stored;
  }

  clear(): number {
    const n = this.rules.length;
    this.rules = [];
    return n;
  }

  list(): StoredRule[] {
    return [...this.rules];
  }

  find(action: Action, order: { outTradeNo: string; mchid: string }): StoredRule | undefined {
    return this.rules.find(
      (r) =>
        r.action === action &&
        (!r.match?.out_trade_no || r.match.out_trade_no === order.outTradeNo) &&
        (!r.match?.mchid || r.match.mchid === order.mchid),
    );
  }
}
