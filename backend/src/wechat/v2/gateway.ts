/** PaymentGateway over APIv2 (XML): one signed client shared by the three roles. */
import type { GatewayOptions } from "../common";
import type { PaymentGateway } from "../ports";
import type { MerchantCredentials } from "../types";
import { V2Client } from "./client";
import { V2NotifyCodec } from "./notify";
import { V2Refunds } from "./refunds";
import { V2Transactions } from "./transactions";

export class V2Gateway implements PaymentGateway {
  readonly apiVersion = "v2" as const;
  readonly appid: string;
  readonly mchid: string;
  private readonly orders: V2Transactions;
  private readonly refunds: V2Refunds;
  private readonly notify: V2NotifyCodec;

  constructor(creds: MerchantCredentials, opts: GatewayOptions) {
    const client = new V2Client(creds, opts);
    this.appid = client.appid;
    this.mchid = client.mchid;
    this.orders = new V2Transactions(client);
    this.refunds = new V2Refunds(client);
    this.notify = new V2NotifyCodec(client, creds.v2?.acceptMd5Notify ?? false);
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
}
