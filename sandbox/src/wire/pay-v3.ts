/**
 * Pay APIv3 on WeChat's paths (docs/wechatpay-spec.md §3): the merchant's Authorization is verified with its
 * certificate (401 SIGN_ERROR otherwise), every answer is signed with Wechatpay-* headers in the
 * merchant's key mode, errors are `{code, message}` with WeChat's statuses. Order rules live in
 * engine/orders.ts; this module only speaks v3.
 */
import crypto from "node:crypto";
import zlib from "node:zlib";
import type { Context } from "koa";
import Router from "@koa/router";
import getRawBody from "raw-body";
import { corrupt, plantBillDifferences } from "../bills/plants";
import { BILL_TYPES, beijingDayStart, tradeBill, type BillType } from "../bills/trade-bill";
import type { MerchantMaterial } from "../crypto/keys";
import { randomAlnum } from "../crypto/random";
import { gcmEncrypt, parseAuthorization, requestSigningMessage, rsaVerifyB64 } from "../crypto/v3";
import { signV3Headers, transactionJson } from "../notify/payloads";
import { EngineError, close, isPaid, lookup, place, refund, type EngineErrorCode } from "../engine/orders";
import type { SandboxRefund } from "../state/store";
import type { SandboxContext } from "./context";
import { faultThrower } from "./faults";

class V3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The engine's refusals in v3's words: HTTP status, code, message. */
const V3_ERRORS: Record<EngineErrorCode, [number, string, string]> = {
  // ASSUMPTION: spelling ORDERPAID for a paid order (docs/wechatpay-spec.md §6.1 leaves ORDER_PAID/ORDERPAID open).
  ORDER_PAID: [400, "ORDERPAID", "该订单已支付"],
  ORDER_CLOSED: [400, "ORDER_CLOSED", "订单已关闭"],
  NOT_FOUND: [404, "ORDER_NOT_EXIST", "订单不存在"],
  // ASSUMPTION: HTTP 400 for re-entry with other parameters (docs/wechatpay-spec.md §6.2).
  DUPLICATE: [400, "INVALID_REQUEST", "201 商户订单号重复"],
  REFUND_TOO_LARGE: [400, "INVALID_REQUEST", "申请退款金额超过订单可退金额"],
  NOT_PAID: [404, "RESOURCE_NOT_EXISTS", "订单不存在"],
  AMOUNT_MISMATCH: [400, "PARAM_ERROR", "参数错误: amount.total does not match the order"],
  TOO_SOON_TO_CLOSE: [400, "INVALID_REQUEST", "订单创建时间过短，暂不能关单"],
  // Only the shopper's side (control API) meets these; listed so the table is total.
  ORDER_EXPIRED: [400, "ORDER_CLOSED", "订单已过期"],
  OPENID_MISMATCH: [400, "PARAM_ERROR", "openid不匹配"],
};

const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;

function reply(
  c: SandboxContext,
  ctx: Context,
  m: MerchantMaterial | undefined,
  status: number,
  payload: unknown,
): void {
  const body = payload === undefined ? "" : JSON.stringify(payload);
  ctx.status = status;
  // No merchant to go by (an unknown mchid): sign in public-key mode, the mode new merchants get.
  const keyMode = m?.keyMode ?? "public_key";
  for (const [k, v] of Object.entries(signV3Headers(c.merchants.keys, keyMode, body, c.now()))) ctx.set(k, v);
  ctx.set("Request-ID", randomAlnum(32));
  if (body) {
    ctx.type = "application/json";
    ctx.body = body;
  } else ctx.body = null;
}

/** Authenticate the merchant: Authorization parsed, serial is its certificate's, signature verifies, clock within 5 min. */
function authenticate(c: SandboxContext, ctx: Context, raw: string): MerchantMaterial {
  const auth = parseAuthorization(ctx.get("authorization"));
  if (!auth) throw new V3Error(401, "SIGN_ERROR", "Authorization 头缺失或格式错误");
  const m = c.merchants.byMchid(auth.mchid);
  if (!m || m.apiVersion !== "v3") throw new V3Error(401, "SIGN_ERROR", "商户号不存在或未开通APIv3");
  if (auth.serial.toUpperCase() !== m.merchantCertificateSerial.toUpperCase())
    throw new V3Error(401, "SIGN_ERROR", "证书序列号错误");
  // ASSUMPTION: requests more than 5 minutes off are refused (docs/wechatpay-spec.md §3.2 "precise window UNCONFIRMED").
  if (!/^\d+$/.test(auth.timestamp) || Math.abs(c.now() / 1000 - Number(auth.timestamp)) > 300)
    throw new V3Error(401, "SIGN_ERROR", "时间戳与当前时间相差过大");
  const message = requestSigningMessage(ctx.method, ctx.originalUrl, auth.timestamp, auth.nonce, raw);
  if (!rsaVerifyB64(message, auth.signature, m.merchantCertificatePem))
    throw new V3Error(401, "SIGN_ERROR", "错误的签名,验签失败");
  return m;
}

/** Answer a scenario's fault, if one matches, in v3's terms. */
const applyFault = faultThrower({
  http_500: () => new V3Error(500, "SYSTEM_ERROR", "系统繁忙,请稍后重试"),
  SYSTEMERROR: () => new V3Error(500, "SYSTEM_ERROR", "系统异常，请稍后重试"),
});

function need(cond: unknown, field: string, issue = "missing or invalid"): void {
  if (!cond) throw new V3Error(400, "PARAM_ERROR", `参数错误: ${field} ${issue}`);
}

function str(v: unknown, max: number): v is string {
  return typeof v === "string" && v.length > 0 && [...v].length <= max;
}

type Handler = (
  c: SandboxContext,
  m: MerchantMaterial,
  ctx: Context,
  body: any,
) => Promise<[number, unknown]>;

function prepay(kind: "JSAPI" | "NATIVE"): Handler {
  return async (c, m, _ctx, b) => {
    need(b && typeof b === "object", "body");
    need(b.appid === m.appid, "appid", "must be bound to mchid");
    need(b.mchid === m.mchid, "mchid", "must equal the Authorization mchid");
    need(str(b.description, 127), "description");
    need(typeof b.out_trade_no === "string" && OUT_TRADE_NO.test(b.out_trade_no), "out_trade_no");
    need(str(b.notify_url, 255) && !b.notify_url.includes("?"), "notify_url");
    need(Number.isSafeInteger(b.amount?.total) && b.amount.total >= 1, "amount.total");
    need(b.amount?.currency === undefined || b.amount.currency === "CNY", "amount.currency");
    if (kind === "JSAPI") need(str(b.payer?.openid, 128), "payer.openid", "JSAPI支付必须传openid");
    await applyFault(c, "prepay_error", m, b.out_trade_no);
    const o = place(c, m, {
      apiVersion: "v3",
      outTradeNo: b.out_trade_no,
      tradeType: kind,
      description: b.description,
      totalFen: b.amount.total,
      openid: b.payer?.openid ?? null,
      notifyUrl: b.notify_url,
      attach: typeof b.attach === "string" ? b.attach : null,
      timeExpire: b.time_expire ? Date.parse(b.time_expire) : null,
    });
    return [200, kind === "JSAPI" ? { prepay_id: o.prepayId } : { code_url: o.codeUrl }];
  };
}

function refundJson(r: SandboxRefund) {
  const iso = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().replace(/\.\d{3}Z$/, "+08:00");
  return {
    refund_id: r.refundId,
    out_refund_no: r.outRefundNo,
    transaction_id: r.transactionId,
    out_trade_no: r.outTradeNo,
    channel: "ORIGINAL",
    user_received_account: "支付用户零钱",
    ...(r.successTime ? { success_time: iso(r.successTime) } : {}),
    create_time: iso(r.createdAt),
    status: r.status,
    funds_account: "AVAILABLE",
    amount: {
      total: r.totalFen,
      refund: r.refundFen,
      payer_total: r.totalFen,
      payer_refund: r.refundFen,
      currency: "CNY",
    },
  };
}

/** A 200 that WeChat does not sign: the bill file download. */
class Unsigned {
  constructor(
    readonly type: string,
    readonly body: string | Buffer,
  ) {}
}

export function payV3Routes(c: SandboxContext, urls: () => { baseUrl: string }): Router {
  const r = new Router();
  const route = (method: "get" | "post", path: string, h: Handler) =>
    r[method](path, async (ctx) => {
      let m: MerchantMaterial | undefined;
      try {
        const raw =
          (await getRawBody(ctx.req, { limit: 64 * 1024, encoding: "utf8" }).catch(() => null)) ?? "";
        m = authenticate(c, ctx, raw);
        let body: unknown;
        if (method === "post") {
          try {
            body = raw ? JSON.parse(raw) : undefined;
          } catch {
            throw new V3Error(400, "PARAM_ERROR", "请求体不是合法的JSON");
          }
        }
        const [status, payload] = await h(c, m, ctx, body);
        if (payload instanceof Unsigned) {
          ctx.status = status;
          ctx.type = payload.type;
          ctx.body = payload.body;
          return;
        }
        reply(c, ctx, m, status, payload);
      } catch (e) {
        // Sign errors for the merchant the Authorization names, so it can verify even a refusal.
        m ??= c.merchants.byMchid(parseAuthorization(ctx.get("authorization"))?.mchid);
        const failure = e instanceof EngineError ? new V3Error(...V3_ERRORS[e.code]) : e;
        if (failure instanceof V3Error)
          return reply(c, ctx, m, failure.status, { code: failure.code, message: failure.message });
        throw e;
      }
    });

  route("post", "/v3/pay/transactions/jsapi", prepay("JSAPI"));
  route("post", "/v3/pay/transactions/native", prepay("NATIVE"));

  const query =
    (key: (ctx: Context) => { transactionId?: string; outTradeNo?: string }): Handler =>
    async (c, m, ctx) => {
      need(ctx.query.mchid === m.mchid, "mchid");
      const o = lookup(c, m.mchid, key(ctx));
      if (!o) throw new EngineError("NOT_FOUND");
      await applyFault(c, "query_error", m, o.outTradeNo);
      return [200, transactionJson(o)];
    };
  route(
    "get",
    "/v3/pay/transactions/out-trade-no/:no",
    query((ctx) => ({ outTradeNo: ctx.params.no })),
  );
  route(
    "get",
    "/v3/pay/transactions/id/:id",
    query((ctx) => ({ transactionId: ctx.params.id })),
  );

  route("post", "/v3/pay/transactions/out-trade-no/:no/close", async (c, m, ctx, b) => {
    need(b?.mchid === m.mchid, "mchid");
    const o = c.store.order(m.mchid, ctx.params.no!);
    if (!o) return [204, undefined]; // community: closing an unknown out_trade_no also answers 204 (docs/wechatpay-spec.md §3.6)
    await applyFault(c, "close_error", m, o.outTradeNo);
    try {
      close(c, o);
    } catch (e) {
      // v3 close is idempotent: closing a closed order answers 204 again.
      if (!(e instanceof EngineError && e.code === "ORDER_CLOSED")) throw e;
    }
    return [204, undefined];
  });

  route("post", "/v3/refund/domestic/refunds", async (c, m, _ctx, b) => {
    need(b && typeof b === "object", "body");
    need(typeof b.out_refund_no === "string" && OUT_REFUND_NO.test(b.out_refund_no), "out_refund_no");
    need(b.out_trade_no || b.transaction_id, "out_trade_no");
    need(Number.isSafeInteger(b.amount?.refund) && b.amount.refund >= 1, "amount.refund");
    need(Number.isSafeInteger(b.amount?.total), "amount.total");
    need(b.amount?.currency === "CNY", "amount.currency");
    const o = lookup(c, m.mchid, { transactionId: b.transaction_id, outTradeNo: b.out_trade_no });
    // An unknown or unpaid order is one thing to v3: nothing to refund (checked before any fault).
    if (!o || !isPaid(o)) throw new EngineError("NOT_PAID");
    await applyFault(c, "refund_error", m, o.outTradeNo);
    const rf = refund(c, m, o, {
      outRefundNo: b.out_refund_no,
      refundFen: b.amount.refund,
      totalFen: b.amount.total,
      notifyUrl: b.notify_url ?? null,
    });
    return [200, refundJson(rf)];
  });

  route("get", "/v3/refund/domestic/refunds/:no", async (c, m, ctx) => {
    const rf = c.store.refund(m.mchid, ctx.params.no!);
    if (!rf) throw new V3Error(404, "RESOURCE_NOT_EXISTS", "退款单不存在");
    return [200, refundJson(rf)];
  });

  route("get", "/v3/bill/tradebill", async (c, m, ctx) => {
    const q = ctx.query as Record<string, string | undefined>;
    const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(q.bill_date ?? "");
    const start = d ? beijingDayStart(Number(d[1]), Number(d[2]), Number(d[3])) : null;
    need(start !== null, "bill_date", "must be a date yyyy-MM-dd");
    const type = q.bill_type ?? "ALL";
    // ASSUMPTION: the *_SPECIAL and RECHARGE_REFUND types are not simulated and answer PARAM_ERROR.
    need((BILL_TYPES as readonly string[]).includes(type), "bill_type", "must be ALL, SUCCESS or REFUND");
    need(q.tar_type === undefined || q.tar_type === "GZIP", "tar_type", "must be GZIP when given");
    const history = plantBillDifferences(
      c.store.merchantHistory(m.mchid),
      c.scenarios,
      m.mchid,
      c.store.now(),
    );
    const text = tradeBill(history, start!, type as BillType);
    if (text === null) throw new V3Error(400, "NO_STATEMENT_EXIST", "该日期没有账单");
    const token = c.billFiles.issue(m.mchid, text);
    const gzip = q.tar_type === "GZIP" ? "&tartype=gzip" : "";
    return [
      200,
      {
        hash_type: "SHA1",
        // SHA1 of the uncompressed text, also when the file is served gzipped.
        hash_value: crypto.createHash("sha1").update(text, "utf8").digest("hex"),
        download_url: `${urls().baseUrl}/v3/billdownload/file?token=${token}${gzip}`,
      },
    ];
  });

  // Authenticated like every v3 call (the signature covers path and query), answered unsigned.
  route("get", "/v3/billdownload/file", async (c, m, ctx) => {
    const text = c.billFiles.get(String(ctx.query.token ?? ""), m.mchid);
    // ASSUMPTION: an unknown, expired or foreign token answers 400 INVALID_REQUEST.
    if (text === null) throw new V3Error(400, "INVALID_REQUEST", "账单下载链接已失效");
    const served = c.scenarios.forMerchant("bill_corrupt", m.mchid).length ? corrupt(text) : text;
    return ctx.query.tartype === "gzip"
      ? [200, new Unsigned("application/x-gzip", zlib.gzipSync(Buffer.from(served, "utf8")))]
      : [200, new Unsigned("text/plain; charset=utf-8", served)];
  });

  route("get", "/v3/certificates", async (c, m) => {
    const k = c.merchants.keys;
    const nonce = randomAlnum(12);
    return [
      200,
      {
        data: [
          {
            serial_no: k.platformCertSerial,
            effective_time: "2025-01-01T08:00:00+08:00",
            expire_time: "2035-01-01T08:00:00+08:00",
            encrypt_certificate: {
              algorithm: "AEAD_AES_256_GCM",
              nonce,
              associated_data: "certificate",
              ciphertext: gcmEncrypt(m.apiV3Key, nonce, "certificate", k.platformCertPem),
            },
          },
        ],
      },
    ];
  });
  return r;
}
