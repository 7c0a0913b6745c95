/**
 * The WeChat Pay gateway split by role, so a consumer asks only for what it uses (the sweeper needs
 * queryOrder and closeOrder, the notify route needs the codec). Each API version implements every
 * role; PaymentGateway is the whole set, for wiring.
 */
import type { RequestPaymentParams } from "@minipay/shared";
import type { ParsedBill } from "./bill-text";
import type {
  CloseResult,
  InboundNotify,
  NotifyAck,
  PrepayRequest,
  PrepayResult,
  RefundFacts,
  RefundRequest,
  TradeFacts,
} from "./types";

export interface PaymentOrders {
  prepay(req: PrepayRequest): Promise<PrepayResult>;
  /** The signed object for wx.requestPayment (pure: signs with the merchant's key). */
  requestPaymentParams(prepayId: string): RequestPaymentParams;
  /** null when WeChat says the order does not exist. */
  queryOrder(outTradeNo: string): Promise<TradeFacts | null>;
  closeOrder(outTradeNo: string): Promise<CloseResult>;
}

export interface Refunds {
  refund(req: RefundRequest): Promise<RefundFacts>;
  /** null when WeChat says the refund does not exist. */
  queryRefund(outRefundNo: string): Promise<RefundFacts | null>;
}

/** A day's trade bill, parsed and checked (its summary, and on v3 its hash). */
export interface TradeBill extends ParsedBill {
  /** SHA-1 (hex) of the bill text as received, for the record. */
  sha1: string;
}

export interface TradeBills {
  /**
   * The ALL bill of one Asia/Shanghai day (YYYY-MM-DD); null when WeChat has none for that day
   * (v2 "No Bill Exist", v3 NO_STATEMENT_EXIST): no trades, a valid empty day.
   */
  downloadTradeBill(day: string): Promise<TradeBill | null>;
}

/**
 * How a notify proved its origin, for the notify log: the v2 sign type, the v3 signature type, or
 * for v2 refund notifies (which carry no sign) the req_info encryption under the merchant key.
 */
export type NotifySignType = "MD5" | "HMAC-SHA256" | "WECHATPAY2-SHA256-RSA2048" | "AES-256-ECB";

export interface ParsedNotify<T> {
  facts: T;
  signType: NotifySignType;
}

export interface NotifyCodec {
  /**
   * Authenticate (signature, serial, timestamp, probe) then decode a payment notify. Throws
   * NotifyRejectedError when it is not authentic, NotifyFactsInvalidError when it is but states
   * impossible facts.
   */
  parsePaymentNotify(n: InboundNotify): Promise<ParsedNotify<TradeFacts>>;
  /** Authenticate then decode a refund notify; throws like parsePaymentNotify. */
  parseRefundNotify(n: InboundNotify): Promise<ParsedNotify<RefundFacts>>;
  notifyAck(accepted: boolean, message?: string): NotifyAck;
}

export type PaymentGateway = PaymentOrders &
  Refunds &
  TradeBills &
  NotifyCodec & {
    readonly apiVersion: "v2" | "v3";
    readonly appid: string;
    readonly mchid: string;
  };
