/** PaymentGateway over APIv3 (JSON + RSA): one signed client shared by the three roles. */
import type { GatewayOptions } from "../common";
import type { PaymentGateway } from "../ports";
import type { MerchantCredentials } from "../types";
import { V3Client } from "./client";
import { V3NotifyCodec } from "./notify";
import { V3Refunds } from "./refunds";
import { V3Transactions } from "./transactions";

export class V3Gateway implements PaymentGateway {
  readonly apiVersion = "v3" as const;
  readonly appid: string;
  readonly mchid: string;
  private readonly orders: V3Transactions;
  private readonly refunds: V3Refunds;
  private readonly notify: V3NotifyCodec;

  constructor(creds: MerchantCredentials, opts: GatewayOptions) {
    const client = new V3Client(creds, opts);
    this.appid = client.appid;
    this.mchid = client.mchid;
    this.orders = new V3Transactions(client);
    this.refunds = new V3Refunds(client);
    this.notify = new V3NotifyCodec(client);
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
