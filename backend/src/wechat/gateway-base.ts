/**
 * The gateway both API versions expose: the work is done by the three role objects (orders,
 * refunds, notify codec), and this only routes each PaymentGateway method to its role.
 */
import type { NotifyCodec, PaymentGateway, PaymentOrders, Refunds, TradeBills } from "./ports";

export abstract class RoleGateway implements PaymentGateway {
  abstract readonly apiVersion: "v2" | "v3";
  readonly appid: string;
  readonly mchid: string;

  constructor(
    ids: { appid: string; mchid: string },
    private readonly orders: PaymentOrders,
    private readonly refunds: Refunds,
    private readonly notify: NotifyCodec,
    private readonly bills: TradeBills,
  ) {
    this.appid = ids.appid;
    this.mchid = ids.mchid;
  }

  prepay: PaymentGateway["prepay"] = (req) => this.orders.prepay(req);
  requestPaymentParams: PaymentGateway["requestPaymentParams"] = (id) => this.orders.requestPaymentParams(id);
  queryOrder: PaymentGateway["queryOrder"] = (no) => this.orders.queryOrder(no);
  closeOrder: PaymentGateway["closeOrder"] = (no) => this.orders.closeOrder(no);
  refund: PaymentGateway["refund"] = (req) => this.refunds.refund(req);
  queryRefund: PaymentGateway["queryRefund"] = (no) => this.refunds.queryRefund(no);
  parsePaymentNotify: PaymentGateway["parsePaymentNotify"] = (n) => this.notify.parsePaymentNotify(n);
  parseRefundNotify: PaymentGateway["parseRefundNotify"] = (n) => this.notify.parseRefundNotify(n);
  notifyAck: PaymentGateway["notifyAck"] = (ok, msg) => this.notify.notifyAck(ok, msg);
  downloadTradeBill: PaymentGateway["downloadTradeBill"] = (day) => this.bills.downloadTradeBill(day);
}
