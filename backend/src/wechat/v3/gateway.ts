/**
 * PaymentGateway over APIv3 (JSON + RSA). Requests are signed with the merchant key; every 2xx
 * must carry Wechatpay-* headers that verify with the key its serial names (platform certificate
 * or WeChat Pay public key), or it is treated as forged. Notifies are verified over the raw bytes
 * before anything is parsed or decrypted.
 */
import type { AxiosInstance } from "axios";
import type { RequestPaymentParams } from "@minipay/shared";
import { NotifyRejectedError, WechatUpstreamError } from "../errors";
import { nonceStr, v3Time } from "../wire-format";
import { createHttp, isTransient, send, withRetry, type RawResponse } from "../transport/client";
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
import { aeadDecrypt } from "./aead";
import { authorizationHeader, v3PaySign } from "./sign";
import {
  CombinedVerifier,
  PlatformCertificateVerifier,
  PublicKeyVerifier,
  verifyWechatSignature,
  type Verifier,
} from "./verify";

export interface GatewayOptions {
  timeoutMs: number;
  clock: Clock;
  retries: number;
}

function verifierFor(v3: NonNullable<MerchantCredentials["v3"]>): {
  verifier: Verifier;
  certs: PlatformCertificateVerifier;
} {
  const certs = new PlatformCertificateVerifier(v3.platformCertificates ?? []);
  const parts: Verifier[] = [certs];
  if (v3.publicKeyId && v3.publicKeyPem)
    parts.unshift(new PublicKeyVerifier(v3.publicKeyId, v3.publicKeyPem));
  // In public-key mode only the public key is trusted; certificate mode may also know the key during migration.
  return { verifier: v3.keyMode === "public_key" ? parts[0]! : new CombinedVerifier(parts), certs };
}

export class V3Gateway implements PaymentGateway {
  readonly apiVersion = "v3" as const;
  readonly appid: string;
  readonly mchid: string;
  private readonly v3: NonNullable<MerchantCredentials["v3"]>;
  private readonly http: AxiosInstance;
  private readonly verifier: Verifier;
  private readonly certs: PlatformCertificateVerifier;

  constructor(
    creds: MerchantCredentials,
    private readonly opts: GatewayOptions,
  ) {
    if (!creds.v3) throw new Error("v3 credentials missing");
    this.appid = creds.appid;
    this.mchid = creds.mchid;
    this.v3 = creds.v3;
    this.http = createHttp({ baseUrl: creds.baseUrl, timeoutMs: opts.timeoutMs });
    ({ verifier: this.verifier, certs: this.certs } = verifierFor(creds.v3));
  }

  private async call(
    step: string,
    method: "GET" | "POST",
    url: string,
    payload?: unknown,
    verify = true,
  ): Promise<RawResponse> {
    const body = payload === undefined ? "" : JSON.stringify(payload);
    const res = await send(this.http, step, {
      method,
      url,
      body: body || undefined,
      headers: {
        Accept: "application/json",
        ...(body ? { "Content-Type": "application/json" } : {}),
        Authorization: authorizationHeader({
          mchid: this.mchid,
          serialNo: this.v3.certificateSerial,
          privateKeyPem: this.v3.privateKeyPem,
          method,
          canonicalUrl: url,
          body,
          timestamp: String(Math.floor(this.opts.clock().getTime() / 1000)),
          nonce: nonceStr(),
        }),
        ...(this.v3.keyMode === "public_key" && this.v3.publicKeyId
          ? { "Wechatpay-Serial": this.v3.publicKeyId }
          : {}),
      },
    });
    if (res.status >= 200 && res.status < 300) {
      if (verify) {
        try {
          verifyWechatSignature(this.verifier, res.headers, res.body, this.opts.clock());
        } catch (err) {
          throw new WechatUpstreamError(
            "forged",
            step,
            (err as NotifyRejectedError).reason ?? null,
            res.status,
          );
        }
      }
      return res;
    }
    let code: string | null;
    try {
      code = JSON.parse(res.body)?.code ?? null;
    } catch {
      code = null;
    }
    if (code) throw new WechatUpstreamError("business", step, code, res.status);
    throw new WechatUpstreamError("http", step, null, res.status);
  }

  /** Platform-certificate mode with no certificate configured: download and decrypt them (spec §3.10). */
  private async ensureCertificates(): Promise<void> {
    if (this.v3.keyMode !== "platform_certificate" || (this.v3.platformCertificates?.length ?? 0) > 0) return;
    if (this.certsLoaded) return;
    // The list is signed by a key it contains: decrypt first (only the APIv3 key holder can), then verify.
    const res = await this.call("certificates", "GET", "/v3/certificates", undefined, false);
    const data = JSON.parse(res.body)?.data ?? [];
    for (const c of data) {
      const e = c.encrypt_certificate;
      this.certs.add(
        aeadDecrypt({
          key: this.v3.apiV3Key,
          nonce: e.nonce,
          associatedData: e.associated_data ?? "",
          ciphertext: e.ciphertext,
        }),
        c.serial_no,
      );
    }
    verifyWechatSignature(this.verifier, res.headers, res.body, this.opts.clock());
    this.certsLoaded = true;
  }
  private certsLoaded = false;

  private json(res: RawResponse, step: string): any {
    try {
      return JSON.parse(res.body);
    } catch {
      throw new WechatUpstreamError("http", step, null, res.status, `${step}: unreadable response`);
    }
  }

  async prepay(req: PrepayRequest): Promise<PrepayResult> {
    await this.ensureCertificates();
    const step = req.kind === "jsapi" ? "jsapi prepay" : "native prepay";
    const payload = {
      appid: this.appid,
      mchid: this.mchid,
      description: req.description.slice(0, 127),
      out_trade_no: req.outTradeNo,
      time_expire: v3Time(req.timeExpire),
      notify_url: req.notifyUrl,
      amount: { total: req.totalFen, currency: "CNY" },
      ...(req.kind === "jsapi" ? { payer: { openid: req.openid } } : {}),
      scene_info: { payer_client_ip: req.clientIp },
    };
    const res = await withRetry(
      () => this.call(step, "POST", `/v3/pay/transactions/${req.kind}`, payload),
      this.opts.retries,
      isTransient,
    );
    const j = this.json(res, step);
    return { prepayId: j.prepay_id ?? null, codeUrl: j.code_url ?? null };
  }

  requestPaymentParams(prepayId: string): RequestPaymentParams {
    const timeStamp = String(Math.floor(this.opts.clock().getTime() / 1000));
    const nonce = nonceStr();
    const pkg = `prepay_id=${prepayId}`;
    return {
      timeStamp,
      nonceStr: nonce,
      package: pkg,
      signType: "RSA",
      paySign: v3PaySign(this.appid, timeStamp, nonce, pkg, this.v3.privateKeyPem),
    };
  }

  private toFacts(t: any): TradeFacts {
    return {
      appid: String(t.appid ?? ""),
      mchid: String(t.mchid ?? ""),
      outTradeNo: String(t.out_trade_no ?? ""),
      transactionId: t.transaction_id ?? null,
      tradeState: String(t.trade_state ?? "NOTPAY") as TradeState,
      totalFen: Number.isSafeInteger(t.amount?.total) ? t.amount.total : null,
      currency: t.amount?.currency ?? null,
      payerOpenid: t.payer?.openid ?? null,
      successTime: t.success_time ? new Date(t.success_time) : null,
      tradeStateDesc: t.trade_state_desc ?? null,
    };
  }

  async queryOrder(outTradeNo: string): Promise<TradeFacts | null> {
    await this.ensureCertificates();
    try {
      const url = `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}?mchid=${encodeURIComponent(this.mchid)}`;
      const res = await withRetry(() => this.call("order query", "GET", url), this.opts.retries, isTransient);
      return this.toFacts(this.json(res, "order query"));
    } catch (err) {
      if (err instanceof WechatUpstreamError && err.wechatCode === "ORDER_NOT_EXIST") return null;
      throw err;
    }
  }

  async closeOrder(outTradeNo: string): Promise<CloseResult> {
    await this.ensureCertificates();
    try {
      const url = `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}/close`;
      await withRetry(
        () => this.call("close", "POST", url, { mchid: this.mchid }),
        this.opts.retries,
        isTransient,
      );
      return "closed";
    } catch (err) {
      // ASSUMPTION: spelling of the paid-order code is unconfirmed (spec §6.1); accept both.
      if (err instanceof WechatUpstreamError && ["ORDER_PAID", "ORDERPAID"].includes(err.wechatCode ?? ""))
        return "already_paid";
      if (
        err instanceof WechatUpstreamError &&
        ["ORDER_CLOSED", "ORDERCLOSED"].includes(err.wechatCode ?? "")
      )
        return "already_closed";
      throw err;
    }
  }

  private toRefund(r: any): RefundFacts {
    return {
      outTradeNo: String(r.out_trade_no ?? ""),
      outRefundNo: String(r.out_refund_no ?? ""),
      refundId: r.refund_id ?? null,
      status: String(r.status ?? r.refund_status ?? "PROCESSING") as RefundStatus,
      refundFen: Number(r.amount?.refund ?? 0),
      totalFen: Number(r.amount?.total ?? 0),
      successTime: r.success_time ? new Date(r.success_time) : null,
    };
  }

  async refund(req: RefundRequest): Promise<RefundFacts> {
    await this.ensureCertificates();
    const res = await withRetry(
      () =>
        this.call("refund", "POST", "/v3/refund/domestic/refunds", {
          out_trade_no: req.outTradeNo,
          out_refund_no: req.outRefundNo,
          reason: req.reason,
          notify_url: req.notifyUrl,
          amount: { refund: req.refundFen, total: req.totalFen, currency: "CNY" },
        }),
      this.opts.retries,
      isTransient,
    );
    return this.toRefund(this.json(res, "refund"));
  }

  async queryRefund(outRefundNo: string): Promise<RefundFacts | null> {
    await this.ensureCertificates();
    try {
      const res = await this.call(
        "refund query",
        "GET",
        `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`,
      );
      return this.toRefund(this.json(res, "refund query"));
    } catch (err) {
      if (
        err instanceof WechatUpstreamError &&
        ["RESOURCE_NOT_EXISTS", "ORDER_NOT_EXIST"].includes(err.wechatCode ?? "")
      )
        return null;
      throw err;
    }
  }

  /** Verify, then decrypt the resource; returns the decrypted object. */
  private async openNotify(n: InboundNotify, originalType: string): Promise<any> {
    await this.ensureCertificates().catch(() => undefined);
    verifyWechatSignature(this.verifier, n.headers, n.rawBody, this.opts.clock());
    let env: any;
    try {
      env = JSON.parse(n.rawBody.toString("utf8"));
    } catch {
      throw new NotifyRejectedError("malformed", "body is not JSON");
    }
    const r = env?.resource;
    if (
      !r ||
      r.algorithm !== "AEAD_AES_256_GCM" ||
      typeof r.ciphertext !== "string" ||
      typeof r.nonce !== "string"
    )
      throw new NotifyRejectedError("malformed", "no encrypted resource");
    if (r.original_type && r.original_type !== originalType)
      throw new NotifyRejectedError("malformed", "unexpected resource type");
    let plain: string;
    try {
      plain = aeadDecrypt({
        key: this.v3.apiV3Key,
        nonce: r.nonce,
        associatedData: r.associated_data ?? "",
        ciphertext: r.ciphertext,
      });
    } catch {
      throw new NotifyRejectedError("decrypt_failed");
    }
    try {
      return JSON.parse(plain);
    } catch {
      throw new NotifyRejectedError("malformed", "resource is not JSON");
    }
  }

  async parsePaymentNotify(n: InboundNotify): Promise<TradeFacts> {
    const t = await this.openNotify(n, "transaction");
    const facts = this.toFacts(t);
    if (facts.appid !== this.appid || facts.mchid !== this.mchid)
      throw new NotifyRejectedError("wrong_merchant");
    if (!facts.outTradeNo) throw new NotifyRejectedError("malformed", "no out_trade_no");
    return facts;
  }

  async parseRefundNotify(n: InboundNotify): Promise<RefundFacts> {
    const r = await this.openNotify(n, "refund");
    if (r.mchid !== this.mchid) throw new NotifyRejectedError("wrong_merchant");
    return this.toRefund(r);
  }

  notifyAck(accepted: boolean, message?: string): NotifyAck {
    if (accepted) return { status: 204, contentType: "application/json", body: "" };
    return {
      status: 500,
      contentType: "application/json",
      body: JSON.stringify({ code: "FAIL", message: (message ?? "FAIL").slice(0, 64) }),
    };
  }
}
