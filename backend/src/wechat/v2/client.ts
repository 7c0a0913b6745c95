/**
 * The signed APIv2 transport: adds appid/mch_id/nonce/sign_type, signs, sends XML, and splits
 * WeChat's two result layers. Every SUCCESS answer must carry a valid sign in the sign type of the
 * request, or it is treated as forged. /secapi calls go over mutual TLS.
 */
import type { AxiosInstance } from "axios";
import { SignatureRejectedError, WechatUpstreamError } from "../errors";
import type { GatewayOptions } from "../common";
import { createHttp, MerchantHttpClient, send, type RawResponse } from "../transport/client";
import type { MerchantCredentials } from "../types";
import { nonceStr } from "../wire-format";
import { v2Sign, v2Verify, type V2SignType } from "./sign";
import { buildXml, parseXml } from "./xml";

export type V2Fields = Record<string, string | number | undefined>;

export interface CallOptions {
  /** Repeat transient failures (only for calls that are safe to repeat with the same fields). */
  retry?: boolean;
  /** Check the answer's sign; only answers that are not signed XML (bills) may skip it. */
  verify?: boolean;
  /** Use the client-certificate connection (/secapi). */
  tls?: boolean;
}

export class V2Client extends MerchantHttpClient {
  readonly key: string;
  readonly signType: V2SignType;
  private readonly tlsHttp: AxiosInstance;
  /** /secapi calls (refunds) need the merchant's client certificate and key. */
  readonly hasClientCert: boolean;

  constructor(creds: MerchantCredentials, opts: GatewayOptions) {
    if (!creds.v2) throw new Error("v2 credentials missing");
    super(creds, opts);
    this.key = creds.v2.key;
    this.hasClientCert = !!(creds.v2.clientCertPem && creds.v2.clientKeyPem);
    this.signType = creds.v2.signType;
    this.tlsHttp = createHttp({
      baseUrl: creds.tlsBaseUrl ?? creds.baseUrl,
      timeoutMs: opts.timeoutMs,
      tls: { certPem: creds.v2.clientCertPem, keyPem: creds.v2.clientKeyPem, caPem: creds.v2.caPem },
    });
  }

  /** Sign, send, parse, authenticate, and split the communication and business layers. */
  call(step: string, method: "POST", url: string, fields: V2Fields, o: CallOptions = {}) {
    const once = () => this.once(step, method, url, fields, o);
    // A retry sends the same fields; WeChat treats that as the same request.
    return this.attempt(once, o.retry);
  }

  /** Sign and send; the answer untouched (downloadbill answers the bill itself, not signed XML). */
  async sendSigned(step: string, url: string, fields: V2Fields): Promise<RawResponse> {
    const body: V2Fields = {
      appid: this.appid,
      mch_id: this.mchid,
      nonce_str: nonceStr(),
      sign_type: this.signType,
      ...fields,
    };
    body.sign = v2Sign(body, this.key, this.signType);
    return send(this.http, step, {
      method: "POST",
      url,
      body: buildXml(body),
      headers: { "Content-Type": "text/xml; charset=utf-8" },
    });
  }

  private async once(
    step: string,
    method: "POST",
    url: string,
    fields: V2Fields,
    o: CallOptions,
  ): Promise<Record<string, string>> {
    const body: V2Fields = {
      appid: this.appid,
      mch_id: this.mchid,
      nonce_str: nonceStr(),
      sign_type: this.signType,
      ...fields,
    };
    body.sign = v2Sign(body, this.key, this.signType);
    const res = await send(o.tls ? this.tlsHttp : this.http, step, {
      method,
      url,
      body: buildXml(body),
      headers: { "Content-Type": "text/xml; charset=utf-8", Accept: "text/xml" },
    });
    if (res.status >= 500) throw new WechatUpstreamError("http", step, null, res.status);
    let xml: Record<string, string>;
    try {
      xml = await parseXml(res.body);
    } catch (err) {
      throw new WechatUpstreamError("http", step, null, res.status, `${step}: unreadable response`, {
        cause: err,
      });
    }
    if (xml.return_code !== "SUCCESS") {
      // Communication-layer failures come unsigned; they never change state at WeChat.
      throw new WechatUpstreamError(
        "business",
        step,
        "FAIL",
        res.status,
        `${step}: ${xml.return_msg ?? "FAIL"}`,
      );
    }
    if (o.verify !== false && !v2Verify(xml, this.key, this.signType))
      throw new SignatureRejectedError("bad_signature", step, res.status);
    if (xml.appid && xml.appid !== this.appid)
      throw new WechatUpstreamError("forged", step, "APPID_MISMATCH");
    if (xml.mch_id && xml.mch_id !== this.mchid)
      throw new WechatUpstreamError("forged", step, "MCHID_MISMATCH");
    if (xml.result_code !== "SUCCESS")
      throw new WechatUpstreamError("business", step, xml.err_code || "FAIL", res.status);
    return xml;
  }
}
