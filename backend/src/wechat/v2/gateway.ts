/**
 * PaymentGateway over APIv2 (XML). Every SUCCESS response must carry a valid sign in the sign
 * type of the request, or it is treated as forged. Refunds go over mutual TLS to /secapi.
 */
import type { AxiosInstance } from "axios";
import type { RequestPaymentParams } from "@minipay/shared";
import { NotifyRejectedError, WechatUpstreamError } from "../errors";
import { nonceStr, parseV2Time, v2Time } from "../wire-format";
import { createHttp, isTransient, send, withRetry } from "../transport/client";
import type {
  Clock,
  CloseResult,
  InboundNotify,
  MerchantCredentials,
  NotifyAck,
  PaymentGateway,
  PrepayRequest,
  PrepayResult,
  RefundFacts,
  RefundRequest,
  RefundStatus,
  TradeFacts,
  TradeState,
} from "../types";
import { decryptReqInfo } from "./refund-notify";
import { v2PaySign, v2Sign, v2Verify, type V2SignType } from "./sign";
import { buildXml, parseXml, XmlRejected } from "./xml";

export interface GatewayOptions {
  timeoutMs: number;
  clock: Clock;
  retries: number;
}

const TRADE_STATES = new Set([
  "SUCCESS",
  "REFUND",
  "NOTPAY",
  "CLOSED",
  "REVOKED",
  "USERPAYING",
  "PAYERROR",
  "ACCEPT",
]);

export class V2Gateway implements PaymentGateway {
  readonly apiVersion = "v2" as const;
  readonly appid: string;
  readonly mchid: string;
  private readonly key: string;
  private readonly signType: V2SignType;
  private readonly http: AxiosInstance;
  private readonly tlsHttp: AxiosInstance;

  constructor(
    creds: MerchantCredentials,
    private readonly opts: GatewayOptions,
  ) {
    if (!creds.v2) throw new Error("v2 credentials missing");
    this.appid = creds.appid;
    this.mchid = creds.mchid;
    this.key = creds.v2.key;
    this.signType = creds.v2.signType;
    this.http = createHttp({ baseUrl: creds.baseUrl, timeoutMs: opts.timeoutMs });
    this.tlsHttp = createHttp({
      baseUrl: creds.tlsBaseUrl ?? creds.baseUrl,
      timeoutMs: opts.timeoutMs,
      tls: { certPem: creds.v2.clientCertPem, keyPem: creds.v2.clientKeyPem, caPem: creds.v2.caPem },
    });
  }

  /** Sign, send, parse, authenticate, and split WeChat's two result layers. */
  private async call(
    step: string,
    path: string,
    fields: Record<string, string | number | undefined>,
    tls = false,
  ) {
    const body: Record<string, string | number | undefined> = {
      appid: this.appid,
      mch_id: this.mchid,
      nonce_str: nonceStr(),
      sign_type: this.signType,
      ...fields,
    };
    body.sign = v2Sign(body, this.key, this.signType);
    const res = await send(tls ? this.tlsHttp : this.http, step, {
      method: "POST",
      url: path,
      body: buildXml(body),
      headers: { "Content-Type": "text/xml; charset=utf-8", Accept: "text/xml" },
    });
    if (res.status >= 500) throw new WechatUpstreamError("http", step, null, res.status);
    let xml: Record<string, string>;
    try {
      xml = await parseXml(res.body);
    } catch {
      throw new WechatUpstreamError("http", step, null, res.status, `${step}: unreadable response`);
    }
    if (xml.return_code !== "SUCCESS") {
      // Communication-layer failures come unsigned (spec §2.1); they never change state.
      throw new WechatUpstreamError(
        "business",
        step,
        "FAIL",
        res.status,
        `${step}: ${xml.return_msg ?? "FAIL"}`,
      );
    }
    if (!v2Verify(xml, this.key, this.signType))
      throw new WechatUpstreamError("forged", step, null, res.status);
    if (xml.appid && xml.appid !== this.appid)
      throw new WechatUpstreamError("forged", step, "APPID_MISMATCH");
    if (xml.mch_id && xml.mch_id !== this.mchid)
      throw new WechatUpstreamError("forged", step, "MCHID_MISMATCH");
    if (xml.result_code !== "SUCCESS")
      throw new WechatUpstreamError("business", step, xml.err_code || "FAIL", res.status);
    return xml;
  }

  async prepay(req: PrepayRequest): Promise<PrepayResult> {
    const xml = await withRetry(
      () =>
        this.call("unifiedorder", "/pay/unifiedorder", {
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
        }),
      this.opts.retries,
      isTransient, // same parameters on retry: WeChat's re-entry rule makes this safe
    );
    return { prepayId: xml.prepay_id || null, codeUrl: xml.code_url || null };
  }

  requestPaymentParams(prepayId: string): RequestPaymentParams {
    const p = {
      appId: this.appid,
      timeStamp: String(Math.floor(this.opts.clock().getTime() / 1000)),
      nonceStr: nonceStr(),
      package: `prepay_id=${prepayId}`,
      signType: this.signType,
    };
    return {
      timeStamp: p.timeStamp,
      nonceStr: p.nonceStr,
      package: p.package,
      signType: p.signType,
      paySign: v2PaySign(p, this.key),
    };
  }

  private facts(x: Record<string, string>, tradeState: string): TradeFacts {
    return {
      appid: x.appid ?? this.appid,
      mchid: x.mch_id ?? this.mchid,
      outTradeNo: x.out_trade_no ?? "",
      transactionId: x.transaction_id || null,
      tradeState: (TRADE_STATES.has(tradeState) ? tradeState : "NOTPAY") as TradeState,
      totalFen: x.total_fee !== undefined && /^\d+$/.test(x.total_fee) ? Number(x.total_fee) : null,
      currency: x.fee_type || (x.total_fee ? "CNY" : null),
      payerOpenid: x.openid || null,
      successTime: parseV2Time(x.time_end),
      tradeStateDesc: x.trade_state_desc || null,
    };
  }

  async queryOrder(outTradeNo: string): Promise<TradeFacts | null> {
    try {
      const x = await withRetry(
        () => this.call("orderquery", "/pay/orderquery", { out_trade_no: outTradeNo }),
        this.opts.retries,
        isTransient,
      );
      return this.facts(x, x.trade_state ?? "NOTPAY");
    } catch (err) {
      if (err instanceof WechatUpstreamError && err.wechatCode === "ORDERNOTEXIST") return null;
      throw err;
    }
  }

  async closeOrder(outTradeNo: string): Promise<CloseResult> {
    try {
      await withRetry(
        () => this.call("closeorder", "/pay/closeorder", { out_trade_no: outTradeNo }),
        this.opts.retries,
        isTransient,
      );
      return "closed";
    } catch (err) {
      if (err instanceof WechatUpstreamError && err.wechatCode === "ORDERPAID") return "already_paid";
      if (err instanceof WechatUpstreamError && err.wechatCode === "ORDERCLOSED") return "already_closed";
      throw err;
    }
  }

  private refundFacts(x: Record<string, string>, i?: number): RefundFacts {
    const f = (k: string) => (i === undefined ? x[k] : x[`${k}_${i}`]);
    const status = (f("refund_status") ?? "PROCESSING") as RefundStatus;
    return {
      outTradeNo: x.out_trade_no ?? "",
      outRefundNo: f("out_refund_no") ?? "",
      refundId: f("refund_id") || null,
      status: status === ("REFUNDCLOSE" as string) ? "CLOSED" : status,
      refundFen: Number(f("refund_fee") ?? 0),
      totalFen: Number(x.total_fee ?? 0),
      successTime: null,
    };
  }

  async refund(req: RefundRequest): Promise<RefundFacts> {
    const x = await withRetry(
      () =>
        this.call(
          "refund",
          "/secapi/pay/refund",
          {
            out_trade_no: req.outTradeNo,
            out_refund_no: req.outRefundNo,
            total_fee: req.totalFen,
            refund_fee: req.refundFen,
            refund_desc: req.reason,
            notify_url: req.notifyUrl,
          },
          true,
        ),
      this.opts.retries,
      isTransient, // same out_refund_no: WeChat refunds once
    );
    return { ...this.refundFacts(x), status: "PROCESSING" };
  }

  async queryRefund(outRefundNo: string): Promise<RefundFacts | null> {
    try {
      const x = await this.call("refundquery", "/pay/refundquery", { out_refund_no: outRefundNo });
      const n = Number(x.refund_count ?? 1);
      for (let i = 0; i < n; i++) if (x[`out_refund_no_${i}`] === outRefundNo) return this.refundFacts(x, i);
      return null;
    } catch (err) {
      if (err instanceof WechatUpstreamError && err.wechatCode === "REFUNDNOTEXIST") return null;
      throw err;
    }
  }

  async parsePaymentNotify(n: InboundNotify): Promise<TradeFacts> {
    let x: Record<string, string>;
    try {
      x = await parseXml(n.rawBody);
    } catch (err) {
      throw new NotifyRejectedError("malformed", err instanceof XmlRejected ? err.message : "unreadable");
    }
    if (!x.sign) throw new NotifyRejectedError("bad_signature", "unsigned notify");
    // The notify says which algorithm it used (default MD5); both need our key, so either proves
    // origin. Community reports show MD5-signed notifies for HMAC merchants (spec §2.8).
    const declared: V2SignType = x.sign_type === "HMAC-SHA256" ? "HMAC-SHA256" : "MD5";
    if (!v2Verify(x, this.key, declared) && !v2Verify(x, this.key, this.signType))
      throw new NotifyRejectedError("bad_signature");
    if (x.appid !== this.appid || x.mch_id !== this.mchid) throw new NotifyRejectedError("wrong_merchant");
    if (x.return_code !== "SUCCESS" || !x.out_trade_no)
      throw new NotifyRejectedError("malformed", "not a success notify");
    return this.facts(x, x.result_code === "SUCCESS" ? "SUCCESS" : "PAYERROR");
  }

  async parseRefundNotify(n: InboundNotify): Promise<RefundFacts> {
    let x: Record<string, string>;
    try {
      x = await parseXml(n.rawBody);
    } catch (err) {
      throw new NotifyRejectedError("malformed", err instanceof XmlRejected ? err.message : "unreadable");
    }
    if (x.appid !== this.appid || x.mch_id !== this.mchid) throw new NotifyRejectedError("wrong_merchant");
    if (!x.req_info) throw new NotifyRejectedError("malformed", "no req_info");
    let inner: Record<string, string>;
    try {
      inner = await parseXml(
        decryptReqInfo(x.req_info, this.key)
          .replace(/^<root>/, "<xml>")
          .replace(/<\/root>$/, "</xml>"),
      );
    } catch {
      throw new NotifyRejectedError("decrypt_failed");
    }
    return {
      outTradeNo: inner.out_trade_no ?? "",
      outRefundNo: inner.out_refund_no ?? "",
      refundId: inner.refund_id || null,
      status:
        inner.refund_status === "REFUNDCLOSE"
          ? "CLOSED"
          : ((inner.refund_status ?? "PROCESSING") as RefundStatus),
      refundFen: Number(inner.refund_fee ?? 0),
      totalFen: Number(inner.total_fee ?? 0),
      successTime: inner.success_time ? new Date(inner.success_time.replace(" ", "T") + "+08:00") : null,
    };
  }

  notifyAck(accepted: boolean, message?: string): NotifyAck {
    const body = accepted
      ? buildXml({ return_code: "SUCCESS", return_msg: "OK" })
      : buildXml({ return_code: "FAIL", return_msg: (message ?? "FAIL").slice(0, 64) });
    return { status: accepted ? 200 : 400, contentType: "text/xml; charset=utf-8", body };
  }
}
