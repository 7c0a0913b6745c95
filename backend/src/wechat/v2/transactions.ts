/** APIv2 payment orders: unifiedorder, the wx.requestPayment object, orderquery, closeorder. */
import type { RequestPaymentParams } from "@minipay/shared";
import { epochSeconds, isWechatCode, orNullOn, parseTradeState } from "../common";
import { NotifyRejectedError } from "../errors";
import * as f from "../facts";
import type { PaymentOrders } from "../ports";
import type { CloseResult, PrepayRequest, PrepayResult, TradeFacts, TradeState } from "../types";
import { nonceStr, v2Time } from "../wire-format";
import type { V2Client } from "./client";
import { v2PaySign } from "./sign";

/** An order as v2 states it (orderquery answer or payment notify), checked field by field. */
export function tradeFactsFromV2(c: V2Client, x: Record<string, string>, tradeState: TradeState): TradeFacts {
  f.assertNoControlChars(x);
  if ((x.appid && x.appid !== c.appid) || (x.mch_id && x.mch_id !== c.mchid))
    throw new NotifyRejectedError("wrong_merchant");
  const totalFen = f.amount(x.total_fee, "total_fee", false);
  return {
    appid: x.appid || c.appid,
    mchid: x.mch_id || c.mchid,
    outTradeNo: f.outTradeNo(x.out_trade_no),
    transactionId: f.transactionId(x.transaction_id),
    tradeState,
    totalFen,
    currency: f.currency(x.fee_type, "fee_type") ?? (totalFen !== null ? "CNY" : null),
    payerOpenid: f.openid(x.openid),
    successTime: f.v2CompactTime(x.time_end, "time_end"),
    tradeStateDesc: f.optionalText(x.trade_state_desc, "trade_state_desc"),
  };
}

export class V2Transactions implements PaymentOrders {
  constructor(private readonly c: V2Client) {}

  async prepay(req: PrepayRequest): Promise<PrepayResult> {
    // Retried with the same fields: WeChat's re-entry rule makes that the same order.
    const x = await this.c.call("unifiedorder", "POST", "/pay/unifiedorder", {
      body: req.description.slice(0, 127),
      out_trade_no: req.outTradeNo,
      total_fee: req.totalFen,
      fee_type: "CNY",
      spbill_create_ip: req.clientIp,
      time_expire: v2Time(req.timeExpire),
      notify_url: req.notifyUrl,
      trade_type: req.kind === "jsapi" ? "JSAPI" : "NATIVE",
      openid: req.kind === "jsapi" ? req.openid : undefined,
      product_id: req.kind === "native" ? (req.productId ?? req.outTradeNo) : undefined,
    });
    return { prepayId: x.prepay_id || null, codeUrl: x.code_url || null };
  }

  requestPaymentParams(prepayId: string): RequestPaymentParams {
    const p = {
      appId: this.c.appid,
      timeStamp: epochSeconds(this.c.opts.clock),
      nonceStr: nonceStr(),
      package: `prepay_id=${prepayId}`,
      signType: this.c.signType,
    };
    const { appId: _appId, ...params } = p;
    return { ...params, paySign: v2PaySign(p, this.c.key) };
  }

  queryOrder(outTradeNo: string): Promise<TradeFacts | null> {
    return orNullOn(["ORDERNOTEXIST"], async () => {
      const x = await this.c.call("orderquery", "POST", "/pay/orderquery", { out_trade_no: outTradeNo });
      return tradeFactsFromV2(this.c, x, parseTradeState(x.trade_state));
    });
  }

  async closeOrder(outTradeNo: string): Promise<CloseResult> {
    try {
      await this.c.call("closeorder", "POST", "/pay/closeorder", { out_trade_no: outTradeNo });
      return "closed";
    } catch (err) {
      if (isWechatCode(err, "ORDERPAID")) return "already_paid";
      if (isWechatCode(err, "ORDERCLOSED")) return "already_closed";
      throw err;
    }
  }
}
