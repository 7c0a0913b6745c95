/**
 * Pay APIv2 on WeChat's paths (docs/wechatpay-spec.md §2): XML in and out, MD5 or HMAC-SHA256 signs, signed
 * answers, WeChat's error codes. Each endpoint is one entry of data (required fields, lengths,
 * one-of groups, its handler); a small checker runs before the handler. Order rules live in
 * engine/orders.ts; this module only speaks v2.
 */
import zlib from "node:zlib";
import type { Context } from "koa";
import Router from "@koa/router";
import getRawBody from "raw-body";
import { checkSignV2, fromXml, signV2, toXml, type SignType } from "../crypto/v2";
import { randomAlnum } from "../crypto/random";
import type { MerchantMaterial } from "../crypto/keys";
import { plantBillDifferences } from "../bills/plants";
import { BILL_TYPES, beijingDayStart, tradeBill, type BillType } from "../bills/trade-bill";
import { EngineError, close, lookup, place, refund, type EngineErrorCode } from "../engine/orders";
import { v2OrderFields, v2RefundStatus } from "../notify/payloads";
import type { SandboxContext } from "./context";
import { faultThrower } from "./faults";

interface EndpointSpec {
  handle: Handler;
  required: string[];
  oneOf?: string[];
  maxLength?: Record<string, number>;
  clientCert?: boolean;
  /** Failures in downloadbill's shape (return_msg + error_code) instead of the usual ones. */
  billErrors?: boolean;
}

const COMMON = ["appid", "mch_id", "nonce_str", "sign"];
export const V2_ENDPOINTS: Record<string, EndpointSpec> = {
  "/pay/unifiedorder": {
    handle: unifiedOrder,
    required: [
      ...COMMON,
      "body",
      "out_trade_no",
      "total_fee",
      "spbill_create_ip",
      "notify_url",
      "trade_type",
    ],
    maxLength: {
      body: 127,
      out_trade_no: 32,
      nonce_str: 32,
      notify_url: 256,
      attach: 127,
      openid: 128,
      product_id: 32,
      detail: 6000,
    },
  },
  "/pay/orderquery": { handle: orderQuery, required: COMMON, oneOf: ["transaction_id", "out_trade_no"] },
  "/pay/closeorder": { handle: closeOrder, required: [...COMMON, "out_trade_no"] },
  "/secapi/pay/refund": {
    handle: refundOrder,
    required: [...COMMON, "out_refund_no", "total_fee", "refund_fee"],
    oneOf: ["transaction_id", "out_trade_no"],
    maxLength: { out_refund_no: 64, refund_desc: 80 },
    clientCert: true,
  },
  "/pay/refundquery": {
    handle: refundQuery,
    required: COMMON,
    oneOf: ["refund_id", "out_refund_no", "transaction_id", "out_trade_no"],
  },
  "/pay/downloadbill": {
    handle: downloadBill,
    required: [...COMMON, "bill_date"],
    maxLength: { bill_date: 8, bill_type: 8, tar_type: 8 },
    billErrors: true,
  },
};

const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;

class V2Fail extends Error {
  constructor(
    readonly errCode: string,
    readonly des: string,
  ) {
    super(errCode);
  }
}

/** A bare HTTP 500 with no body, as a broken gateway in front of WeChat would answer. */
class V2Http500 extends Error {}

/** downloadbill's refusal: unsigned XML with return_msg and error_code. */
class BillFail extends Error {
  constructor(
    readonly msg: string,
    readonly errorCode = BILL_ERROR_CODE,
  ) {
    super(msg);
  }
}

/** A success that is not signed XML: downloadbill answers the bill itself. */
class RawAnswer {
  constructor(
    readonly type: string,
    readonly body: string | Buffer,
  ) {}
}

function commFail(ctx: Context, msg: string): void {
  // Communication-layer failures are unsigned (docs/wechatpay-spec.md §2.1).
  ctx.type = "text/xml";
  ctx.body = toXml({ return_code: "FAIL", return_msg: msg });
}

function signedReply(
  ctx: Context,
  m: MerchantMaterial,
  signType: SignType,
  fields: Record<string, unknown>,
): void {
  const all: Record<string, unknown> = {
    return_code: "SUCCESS",
    return_msg: "OK",
    appid: m.appid,
    mch_id: m.mchid,
    nonce_str: randomAlnum(32),
    ...fields,
  };
  all.sign = signV2(all, m.apiV2Key, signType);
  ctx.type = "text/xml";
  ctx.body = toXml(all);
}

type CommFail = "method" | "empty" | "xml" | "missing" | "format" | "merchant" | "sign" | "cert";

/** downloadbill answers its failures in its own words, with an error_code, never signed. */
const BILL_FAIL_MSG: Partial<Record<CommFail, string>> = {
  method: "data format error",
  empty: "missing parameter",
  xml: "data format error",
  missing: "missing parameter",
  format: "data format error",
  sign: "SIGN ERROR",
};
// ASSUMPTION: only 20002 (No Bill Exist) is a known error_code; every other bill failure says 20001.
const BILL_ERROR_CODE = "20001";

function billFail(ctx: Context, msg: string, errorCode: string): void {
  ctx.type = "text/xml";
  ctx.body = toXml({ return_code: "FAIL", return_msg: msg, error_code: errorCode });
}

function parseSignType(v: string | undefined): SignType | null {
  if (!v || v === "MD5") return "MD5";
  return v === "HMAC-SHA256" ? v : null;
}

export function payV2Routes(c: SandboxContext, opts: { tls: boolean }): Router {
  const r = new Router();
  for (const [path, spec] of Object.entries(V2_ENDPOINTS)) {
    r.all(path, async (ctx) => {
      const fail = (kind: CommFail, msg: string) =>
        spec.billErrors ? billFail(ctx, BILL_FAIL_MSG[kind] ?? msg, BILL_ERROR_CODE) : commFail(ctx, msg);
      if (ctx.method !== "POST") return fail("method", "REQUIRE_POST_METHOD");
      const raw = (await getRawBody(ctx.req, { limit: 64 * 1024, encoding: "utf8" }).catch(() => null)) ?? "";
      if (!raw.trim()) return fail("empty", "POST_DATA_EMPTY");
      let req: Record<string, string>;
      try {
        req = await fromXml(raw);
      } catch {
        return fail("xml", "XML_FORMAT_ERROR");
      }
      for (const f of spec.required) if (!req[f]) return fail("missing", `缺少参数${f}`);
      if (spec.oneOf && !spec.oneOf.some((f) => req[f]))
        return fail("missing", `缺少参数${spec.oneOf.join("或")}`);
      for (const [f, max] of Object.entries(spec.maxLength ?? {}))
        if (req[f] && [...req[f]].length > max) return fail("format", `参数格式校验错误:${f}`);
      const m = c.merchants.byMchid(req.mch_id);
      // ASSUMPTION: unknown merchant / appid mismatch answered at the communication layer.
      if (!m || m.apiVersion !== "v2") return fail("merchant", "MCHID_NOT_EXIST");
      if (req.appid !== m.appid) return fail("merchant", "APPID_MCHID_NOT_MATCH");
      const signType = parseSignType(req.sign_type);
      if (!signType) return fail("format", "sign_type参数格式错误");
      if (!checkSignV2(req, m.apiV2Key, signType)) return fail("sign", "签名错误");
      if (spec.clientCert) {
        const sock = ctx.req.socket as import("node:tls").TLSSocket;
        const cert =
          opts.tls && typeof sock.getPeerCertificate === "function" ? sock.getPeerCertificate() : null;
        if (!opts.tls || !sock.authorized || !cert || cert.subject?.CN !== m.mchid)
          return fail("cert", "证书错误,请使用商户API证书");
      }
      try {
        const out = await spec.handle(c, m, req);
        if (out instanceof RawAnswer) {
          ctx.type = out.type;
          ctx.body = out.body;
          return;
        }
        signedReply(ctx, m, signType, { result_code: "SUCCESS", ...out });
      } catch (e) {
        const failure = e instanceof EngineError ? new V2Fail(...V2_ERRORS[e.code]) : e;
        if (failure instanceof V2Fail)
          return signedReply(ctx, m, signType, {
            result_code: "FAIL",
            err_code: failure.errCode,
            err_code_des: failure.des,
          });
        if (e instanceof BillFail) return billFail(ctx, e.msg, e.errorCode);
        if (e instanceof V2Http500) {
          ctx.status = 500;
          ctx.body = "";
          return;
        }
        throw e;
      }
    });
  }
  return r;
}

/** Answer a scenario's fault, if one matches, in v2's terms. */
const applyFault = faultThrower({
  http_500: () => new V2Http500(),
  SYSTEMERROR: () => new V2Fail("SYSTEMERROR", "系统超时"),
});

type Handler = (
  c: SandboxContext,
  m: MerchantMaterial,
  req: Record<string, string>,
) => Promise<Record<string, unknown> | RawAnswer>;

/** The engine's refusals in v2's words (err_code, err_code_des). */
const V2_ERRORS: Record<EngineErrorCode, [string, string]> = {
  ORDER_PAID: ["ORDERPAID", "该订单已支付"],
  ORDER_CLOSED: ["ORDERCLOSED", "该订单已关闭"],
  NOT_FOUND: ["ORDERNOTEXIST", "此交易订单号不存在"],
  DUPLICATE: ["OUT_TRADE_NO_USED", "商户订单号重复"],
  REFUND_TOO_LARGE: ["INVALID_REQUEST", "refund_fee大于可退金额"],
  NOT_PAID: ["TRADE_STATE_ERROR", "订单未支付"],
  AMOUNT_MISMATCH: ["PARAM_ERROR", "订单金额或退款金额与之前请求不一致"],
  TOO_SOON_TO_CLOSE: ["SYSTEMERROR", "订单创建后需间隔后才能关闭"],
  // Only the shopper's side (control API) meets these; listed so the table is total.
  ORDER_EXPIRED: ["ORDERCLOSED", "订单已过期"],
  OPENID_MISMATCH: ["INVALID_REQUEST", "openid不匹配"],
};

function found<T>(v: T | undefined): T {
  if (v === undefined) throw new EngineError("NOT_FOUND");
  return v;
}

async function unifiedOrder(c: SandboxContext, m: MerchantMaterial, req: Record<string, string>) {
  if (!OUT_TRADE_NO.test(req.out_trade_no!)) throw new V2Fail("INVALID_REQUEST", "out_trade_no格式错误");
  if (!/^[1-9]\d{0,9}$/.test(req.total_fee!)) throw new V2Fail("INVALID_REQUEST", "total_fee格式错误");
  if (req.trade_type !== "JSAPI" && req.trade_type !== "NATIVE")
    throw new V2Fail("INVALID_REQUEST", "trade_type不支持");
  if (req.trade_type === "JSAPI" && !req.openid) throw new V2Fail("INVALID_REQUEST", "JSAPI支付必须传openid");
  if (req.trade_type === "NATIVE" && !req.product_id)
    throw new V2Fail("INVALID_REQUEST", "NATIVE支付必须传product_id");
  if (/\?/.test(req.notify_url!)) throw new V2Fail("INVALID_REQUEST", "notify_url不能带参数");
  await applyFault(c, "prepay_error", m, req.out_trade_no!);
  const o = place(c, m, {
    apiVersion: "v2",
    outTradeNo: req.out_trade_no!,
    tradeType: req.trade_type,
    description: req.body!,
    totalFen: Number(req.total_fee),
    openid: req.openid ?? null,
    notifyUrl: req.notify_url!,
    attach: req.attach ?? null,
    timeExpire: parseTime(req.time_expire),
  });
  return { trade_type: o.tradeType, prepay_id: o.prepayId, ...(o.codeUrl ? { code_url: o.codeUrl } : {}) };
}

async function orderQuery(c: SandboxContext, m: MerchantMaterial, req: Record<string, string>) {
  const o = found(lookup(c, m.mchid, { transactionId: req.transaction_id, outTradeNo: req.out_trade_no }));
  await applyFault(c, "query_error", m, o.outTradeNo);
  return v2OrderFields(o);
}

async function closeOrder(c: SandboxContext, m: MerchantMaterial, req: Record<string, string>) {
  const o = found(lookup(c, m.mchid, { outTradeNo: req.out_trade_no }));
  await applyFault(c, "close_error", m, o.outTradeNo);
  close(c, o);
  return {};
}

async function refundOrder(c: SandboxContext, m: MerchantMaterial, req: Record<string, string>) {
  const o = found(lookup(c, m.mchid, { transactionId: req.transaction_id, outTradeNo: req.out_trade_no }));
  await applyFault(c, "refund_error", m, o.outTradeNo);
  if (!OUT_REFUND_NO.test(req.out_refund_no!)) throw new V2Fail("PARAM_ERROR", "out_refund_no格式错误");
  const refundFee = Number(req.refund_fee);
  if (!Number.isSafeInteger(refundFee) || refundFee <= 0)
    throw new V2Fail("PARAM_ERROR", "refund_fee格式错误");
  const rf = refund(c, m, o, {
    outRefundNo: req.out_refund_no!,
    refundFen: refundFee,
    totalFen: Number(req.total_fee),
    notifyUrl: req.notify_url ?? o.notifyUrl,
  });
  return {
    transaction_id: o.transactionId,
    out_trade_no: o.outTradeNo,
    out_refund_no: rf.outRefundNo,
    refund_id: rf.refundId,
    refund_fee: rf.refundFen,
    total_fee: o.totalFen,
    cash_fee: o.totalFen,
  };
}

async function refundQuery(c: SandboxContext, m: MerchantMaterial, req: Record<string, string>) {
  let refunds;
  if (req.out_refund_no) refunds = [c.store.refund(m.mchid, req.out_refund_no)].filter((x) => !!x);
  else {
    const o = lookup(c, m.mchid, { transactionId: req.transaction_id, outTradeNo: req.out_trade_no });
    refunds = o ? c.store.refundsOf(m.mchid, o.outTradeNo) : [];
  }
  if (refunds.length === 0) throw new V2Fail("REFUNDNOTEXIST", "退款订单查询失败");
  const o = c.store.order(m.mchid, refunds[0]!.outTradeNo)!;
  const out: Record<string, unknown> = {
    transaction_id: o.transactionId,
    out_trade_no: o.outTradeNo,
    total_fee: o.totalFen,
    cash_fee: o.totalFen,
    refund_count: refunds.length,
  };
  refunds.forEach((rf, i) => {
    out[`out_refund_no_${i}`] = rf.outRefundNo;
    out[`refund_id_${i}`] = rf.refundId;
    out[`refund_fee_${i}`] = rf.refundFen;
    out[`refund_status_${i}`] = v2RefundStatus(rf.status);
    out[`refund_channel_${i}`] = "ORIGINAL";
  });
  return out;
}

/** The downloadbill handler: any day, today included (WeChat only serves finished days). */
async function downloadBill(
  c: SandboxContext,
  m: MerchantMaterial,
  req: Record<string, string>,
): Promise<RawAnswer> {
  const d = /^(\d{4})(\d{2})(\d{2})$/.exec(req.bill_date!);
  const start = d ? beijingDayStart(Number(d[1]), Number(d[2]), Number(d[3])) : null;
  // ASSUMPTION: a malformed or impossible bill_date is a "data format error".
  if (start === null) throw new BillFail("data format error");
  const type = req.bill_type ?? "ALL";
  // The sandbox never refunds from recharge coupons, so that bill never exists.
  if (type === "RECHARGE_REFUND") throw new BillFail("No Bill Exist", "20002");
  if (!(BILL_TYPES as readonly string[]).includes(type)) throw new BillFail("invalid bill_type");
  if (req.tar_type !== undefined && req.tar_type !== "GZIP") throw new BillFail("data format error");
  const history = plantBillDifferences(c.store.merchantHistory(m.mchid), c.scenarios, m.mchid, c.store.now());
  const text = tradeBill(history, start, type as BillType);
  if (text === null) throw new BillFail("No Bill Exist", "20002");
  // ASSUMPTION: content types; the real ones are not documented.
  return req.tar_type === "GZIP"
    ? new RawAnswer("application/x-gzip", zlib.gzipSync(Buffer.from(text, "utf8")))
    : new RawAnswer("text/plain; charset=utf-8", text);
}

/** yyyyMMddHHmmss (Beijing) → epoch ms. */
function parseTime(s: string | undefined): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s ?? "");
  return m ? Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`) : null;
}
