/** APIv3 payment orders: JSAPI/Native prepay, the wx.requestPayment object, query, close. */
import type { RequestPaymentParams } from "@minipay/shared";
import { z } from "zod";
import { epochSeconds, isWechatCode, orNullOn, parseTradeState } from "../common";
import * as f from "../facts";
import type { PaymentOrders } from "../ports";
import type { CloseResult, PrepayRequest, PrepayResult, TradeFacts } from "../types";
import { nonceStr, v3Time } from "../wire-format";
import { checkShape, parseSigned, readJson, type V3Client } from "./client";
import { v3PaySign } from "./sign";

const PrepayAnswer = z.object({ prepay_id: z.string().optional(), code_url: z.string().optional() });

/** The Transaction object (query answer and payment notify plaintext): types only, facts below. */
export const Transaction = z.object({
  appid: z.string(),
  mchid: z.string(),
  out_trade_no: z.string(),
  transaction_id: z.string().optional(),
  trade_state: z.string(),
  trade_state_desc: z.string().optional(),
  success_time: z.string().optional(),
  payer: z.object({ openid: z.string().optional() }).optional(),
  amount: z.object({ total: z.number().optional(), currency: z.string().optional() }).optional(),
});

/** Check a decoded Transaction and map it; the merchant check is the caller's. */
export function tradeFactsFromV3(raw: unknown): TradeFacts {
  f.assertNoControlChars(raw);
  const t = checkShape(Transaction, raw);
  return {
    appid: t.appid,
    mchid: t.mchid,
    outTradeNo: f.outTradeNo(t.out_trade_no),
    transactionId: f.transactionId(t.transaction_id),
    tradeState: parseTradeState(t.trade_state),
    totalFen: f.amount(t.amount?.total, "amount.total", false),
    currency: f.currency(t.amount?.currency, "amount.currency"),
    payerOpenid: f.openid(t.payer?.openid, "payer.openid"),
    successTime: f.rfc3339Time(t.success_time, "success_time"),
    tradeStateDesc: f.optionalText(t.trade_state_desc, "trade_state_desc"),
  };
}

export class V3Transactions implements PaymentOrders {
  constructor(private readonly c: V3Client) {}

  async prepay(req: PrepayRequest): Promise<PrepayResult> {
    const step = req.kind === "jsapi" ? "jsapi prepay" : "native prepay";
    // Retried with the same body: WeChat's re-entry rule makes that the same order.
    const res = await this.c.call(step, "POST", `/v3/pay/transactions/${req.kind}`, {
      appid: this.c.appid,
      mchid: this.c.mchid,
      description: req.description.slice(0, 127),
      out_trade_no: req.outTradeNo,
      time_expire: v3Time(req.timeExpire),
      notify_url: req.notifyUrl,
      amount: { total: req.totalFen, currency: "CNY" },
      ...(req.kind === "jsapi" ? { payer: { openid: req.openid } } : {}),
      scene_info: { payer_client_ip: req.clientIp },
    });
    const j = parseSigned(PrepayAnswer, res.body, step, res.status);
    return { prepayId: j.prepay_id ?? null, codeUrl: j.code_url ?? null };
  }

  requestPaymentParams(prepayId: string): RequestPaymentParams {
    const timeStamp = epochSeconds(this.c.opts.clock);
    const nonce = nonceStr();
    const pkg = `prepay_id=${prepayId}`;
    return {
      timeStamp,
      nonceStr: nonce,
      package: pkg,
      signType: "RSA",
      paySign: v3PaySign(this.c.appid, timeStamp, nonce, pkg, this.c.v3.privateKeyPem),
    };
  }

  queryOrder(outTradeNo: string): Promise<TradeFacts | null> {
    const no = encodeURIComponent(outTradeNo);
    const url = `/v3/pay/transactions/out-trade-no/${no}?mchid=${encodeURIComponent(this.c.mchid)}`;
    return orNullOn(["ORDER_NOT_EXIST"], async () => {
      const res = await this.c.call("order query", "GET", url);
      return tradeFactsFromV3(readJson(res.body, "order query", res.status));
    });
  }

  async closeOrder(outTradeNo: string): Promise<CloseResult> {
    const url = `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}/close`;
    try {
      await this.c.call("close", "POST", url, { mchid: this.c.mchid });
      return "closed";
    } catch (err) {
      // ASSUMPTION: the spelling of the paid/closed codes for close is unconfirmed; accept both.
      if (isWechatCode(err, "ORDER_PAID", "ORDERPAID")) return "already_paid";
      if (isWechatCode(err, "ORDER_CLOSED", "ORDERCLOSED")) return "already_closed";
      throw err;
    }
  }
}
