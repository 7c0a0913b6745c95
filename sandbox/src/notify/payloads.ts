/**
 * What a notify looks like on the wire, per protocol version: the sandbox builds these the way
 * WeChat does (docs/wechatpay-spec.md §2.8, §2.9, §3.8), with hooks for the fault scenarios.
 */
import crypto from "node:crypto";
import type { KeyMaterial, MerchantMaterial } from "../crypto/keys";
import { encryptReqInfo, signV2, toXml } from "../crypto/v2";
import { randomAlnum } from "../crypto/random";
import { gcmEncrypt, responseSigningMessage, rsaSignB64 } from "../crypto/v3";
import type { SandboxOrder, SandboxRefund } from "../state/store";

export interface WireRequest {
  headers: Record<string, string>;
  body: string;
}

export interface Faults {
  tamperAmount?: boolean;
  skewSeconds?: number;
  unknownSerial?: boolean;
  probe?: boolean;
}

function beijing(ms: number, style: "v2" | "v3" | "v2refund"): string {
  const iso = new Date(ms + 8 * 3600_000).toISOString();
  if (style === "v3") return iso.replace(/\.\d{3}Z$/, "+08:00");
  if (style === "v2refund") return iso.slice(0, 19).replace("T", " ");
  return iso.replace(/\D/g, "").slice(0, 14);
}

/** The Transaction object of v3 (query answers and notify plaintext). */
export function transactionJson(o: SandboxOrder, amountDelta = 0): Record<string, unknown> {
  const paid = o.tradeState === "SUCCESS" || o.tradeState === "REFUND";
  return {
    appid: o.appid,
    mchid: o.mchid,
    out_trade_no: o.outTradeNo,
    ...(o.transactionId ? { transaction_id: o.transactionId } : {}),
    trade_type: o.tradeType,
    trade_state: o.tradeState,
    trade_state_desc: TRADE_STATE_DESC[o.tradeState],
    ...(paid ? { bank_type: "OTHERS", success_time: beijing(o.successTime!, "v3") } : {}),
    attach: o.attach ?? "",
    ...(o.openid ? { payer: { openid: o.openid } } : {}),
    amount: {
      total: o.totalFen + amountDelta,
      currency: "CNY",
      ...(paid ? { payer_total: o.totalFen + amountDelta, payer_currency: "CNY" } : {}),
    },
  };
}

export const TRADE_STATE_DESC: Record<string, string> = {
  NOTPAY: "订单未支付",
  SUCCESS: "支付成功",
  CLOSED: "订单已关闭",
  REFUND: "转入退款",
  USERPAYING: "用户支付中",
  PAYERROR: "支付失败",
  REVOKED: "已撤销",
};

/** v2 order fields (orderquery answer and the payment notify share them). */
export function v2OrderFields(o: SandboxOrder, amountDelta = 0): Record<string, string | number> {
  const paid = o.tradeState === "SUCCESS" || o.tradeState === "REFUND";
  return {
    out_trade_no: o.outTradeNo,
    trade_state: o.tradeState,
    trade_state_desc: TRADE_STATE_DESC[o.tradeState]!,
    total_fee: o.totalFen + amountDelta,
    fee_type: "CNY",
    trade_type: o.tradeType,
    ...(o.openid ? { openid: o.openid } : {}),
    ...(paid
      ? {
          transaction_id: o.transactionId!,
          time_end: beijing(o.successTime!, "v2"),
          bank_type: "OTHERS",
          cash_fee: o.totalFen + amountDelta,
          is_subscribe: "N",
        }
      : {}),
    ...(o.attach ? { attach: o.attach } : {}),
  };
}

let rogueKey: string | null = null;
function rogue(): string {
  rogueKey ??= crypto
    .generateKeyPairSync("rsa", { modulusLength: 2048 })
    .privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  return rogueKey;
}

export type KeyMode = "platform_certificate" | "public_key";

/** Sign a v3 body as WeChat does: platform cert serial or public-key id, per the key mode. */
export function signV3Headers(
  keys: KeyMaterial,
  keyMode: KeyMode,
  body: string,
  now: number,
  f: Faults = {},
): Record<string, string> {
  const ts = String(Math.floor(now / 1000) + (f.skewSeconds ?? 0));
  const nonce = randomAlnum(32);
  const serial = f.unknownSerial
    ? crypto.randomBytes(20).toString("hex").toUpperCase()
    : keyMode === "platform_certificate"
      ? keys.platformCertSerial
      : keys.wechatPublicKeyId;
  const signature = f.probe
    ? `WECHATPAY/SIGNTEST/${crypto.randomBytes(48).toString("base64")}`
    : rsaSignB64(responseSigningMessage(ts, nonce, body), f.unknownSerial ? rogue() : keys.wechatKeyPem);
  return {
    "Wechatpay-Timestamp": ts,
    "Wechatpay-Nonce": nonce,
    "Wechatpay-Serial": serial,
    "Wechatpay-Signature": signature,
    "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
  };
}

export function paymentNotify(
  keys: KeyMaterial,
  m: MerchantMaterial,
  o: SandboxOrder,
  now: number,
  f: Faults,
): WireRequest {
  const delta = f.tamperAmount ? 1 : 0;
  if (m.apiVersion === "v2") {
    const fields: Record<string, string | number> = {
      return_code: "SUCCESS",
      appid: o.appid,
      mch_id: o.mchid,
      nonce_str: randomAlnum(32),
      sign_type: m.signType!,
      result_code: "SUCCESS",
      ...v2OrderFields(o, delta),
    };
    delete fields.trade_state;
    delete fields.trade_state_desc;
    fields.sign = f.probe ? "WECHATPAY/SIGNTEST/" : signV2(fields, m.apiV2Key, m.signType!);
    return { headers: { "Content-Type": "text/xml; charset=utf-8" }, body: toXml(fields) };
  }
  return v3Notify(keys, m, now, f, {
    type: "transaction",
    event_type: "TRANSACTION.SUCCESS",
    summary: "支付成功",
    plain: transactionJson(o, delta),
  });
}

/** A v3 notify: the event envelope around the encrypted resource, signed like WeChat's answers. */
function v3Notify(
  keys: KeyMaterial,
  m: MerchantMaterial,
  now: number,
  f: Faults,
  event: { type: "transaction" | "refund"; event_type: string; summary: string; plain: unknown },
): WireRequest {
  const nonce = randomAlnum(12);
  const body = JSON.stringify({
    id: crypto.randomUUID(),
    create_time: beijing(now, "v3"),
    resource_type: "encrypt-resource",
    event_type: event.event_type,
    summary: event.summary,
    resource: {
      original_type: event.type,
      algorithm: "AEAD_AES_256_GCM",
      ciphertext: gcmEncrypt(m.apiV3Key, nonce, event.type, JSON.stringify(event.plain)),
      associated_data: event.type,
      nonce,
    },
  });
  return {
    headers: {
      "Content-Type": "application/json",
      ...signV3Headers(keys, m.keyMode ?? "public_key", body, now, f),
    },
    body,
  };
}

/** v2 names refund statuses its own way: REFUNDCLOSE for closed, CHANGE for abnormal. */
export function v2RefundStatus(s: SandboxRefund["status"]): string {
  return s === "CLOSED" ? "REFUNDCLOSE" : s === "ABNORMAL" ? "CHANGE" : s;
}

export function refundNotify(
  keys: KeyMaterial,
  m: MerchantMaterial,
  r: SandboxRefund,
  now: number,
  f: Faults,
): WireRequest {
  if (m.apiVersion === "v2") {
    const inner =
      "<root>" +
      Object.entries({
        transaction_id: r.transactionId ?? "",
        out_trade_no: r.outTradeNo,
        refund_id: r.refundId,
        out_refund_no: r.outRefundNo,
        total_fee: r.totalFen,
        refund_fee: r.refundFen,
        settlement_refund_fee: r.refundFen,
        refund_status: v2RefundStatus(r.status),
        success_time: r.successTime ? beijing(r.successTime, "v2refund") : "",
        refund_recv_accout: "支付用户零钱",
        refund_account: "REFUND_SOURCE_UNSETTLED_FUNDS",
        refund_request_source: "API",
      })
        .map(([k, v]) => `<${k}><![CDATA[${v}]]></${k}>`)
        .join("") +
      "</root>";
    const fields = {
      return_code: "SUCCESS",
      appid: m.appid,
      mch_id: m.mchid,
      nonce_str: randomAlnum(32),
      req_info: encryptReqInfo(inner, m.apiV2Key),
    };
    return { headers: { "Content-Type": "text/xml; charset=utf-8" }, body: toXml(fields) };
  }
  const plain = {
    mchid: m.mchid,
    transaction_id: r.transactionId,
    out_trade_no: r.outTradeNo,
    refund_id: r.refundId,
    out_refund_no: r.outRefundNo,
    refund_status: r.status,
    ...(r.successTime ? { success_time: beijing(r.successTime, "v3") } : {}),
    user_received_account: "支付用户零钱",
    amount: { total: r.totalFen, refund: r.refundFen, payer_total: r.totalFen, payer_refund: r.refundFen },
  };
  return v3Notify(keys, m, now, f, {
    type: "refund",
    event_type:
      r.status === "SUCCESS" ? "REFUND.SUCCESS" : r.status === "CLOSED" ? "REFUND.CLOSED" : "REFUND.ABNORMAL",
    summary: r.status === "SUCCESS" ? "退款成功" : "退款异常",
    plain,
  });
}
