/**
 * The control API under /__sandbox/: what a person or a test uses to play the shopper (login
 * codes, paying), to inject faults, and to see every notify attempt. CORS is open: it is a
 * development tool, and the H5 shop on another origin calls it.
 */
import Router from "@koa/router";
import getRawBody from "raw-body";
import { z } from "zod";
import type { MerchantMaterial } from "../crypto/keys";
import type { Attempt } from "../notify/deliver";
import { ScenarioRule, type StoredRule } from "../notify/scenarios";
import type { SandboxOrder, TradeState } from "../state/store";
import { EngineError, pay as shopperPays, type EngineErrorCode, type PayOutcome } from "../engine/orders";
import type { SandboxContext } from "../wire/context";
import { cashierPage, resultPage } from "./cashier";

export const LoginCodeReq = z
  .object({ appid: z.string().min(1), openid: z.string().min(1).max(128).optional() })
  .strict();
export const PayReq = z
  .object({
    prepay_id: z.string().optional(),
    code_url: z.string().optional(),
    out_trade_no: z.string().optional(),
    openid: z.string().max(128).optional(),
    outcome: z.enum(["SUCCESS", "PAYERROR", "USERPAYING", "CANCEL"]).default("SUCCESS"),
  })
  .strict()
  .refine(
    (v) => v.prepay_id || v.code_url || v.out_trade_no,
    "one of prepay_id, code_url, out_trade_no is required",
  );

// What each control route answers; the typed client (control/client.ts) reads these.

/** A merchant's own material (keys.ts) plus the shared keys it needs, under the names merchants use. */
export interface SandboxMerchant extends MerchantMaterial {
  merchantPrivateKeyPem: string;
  clientCertPem: string;
  clientKeyPem: string;
  platformCertificatePem: string;
  platformCertificateSerial: string;
  wechatpayPublicKeyPem: string;
  wechatpayPublicKeyId: string;
}
export interface MerchantsDoc {
  baseUrl: string;
  tlsBaseUrl: string;
  caCertificatePem: string;
  merchants: SandboxMerchant[];
}
export interface LoginCode {
  code: string;
  openid: string;
}
export interface PayResult {
  out_trade_no: string;
  trade_state: TradeState;
  transaction_id: string | null;
}
export type NotifyAttempt = Attempt;
export interface ScenariosBody {
  scenarios: StoredRule[];
}
export interface ClearedBody {
  cleared: number;
}
export interface NotificationsBody {
  notifications: NotifyAttempt[];
}
export interface ErrorBody {
  error: { code: string; message: string };
}

export class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function findOrder(
  c: SandboxContext,
  q: { prepay_id?: string; code_url?: string; out_trade_no?: string },
): SandboxOrder {
  const o = q.prepay_id
    ? c.store.orderByPrepay(q.prepay_id)
    : q.code_url
      ? c.store.orderByCodeUrl(q.code_url)
      : c.store.findOrderByOutTradeNo(q.out_trade_no ?? "");
  if (!o)
    throw new ControlError(404, "ORDER_NOT_FOUND", "no order for that prepay_id / code_url / out_trade_no");
  return o;
}

/** The engine's refusals as control-API answers. */
const CONTROL_ERRORS: Partial<Record<EngineErrorCode, [number, string, string]>> = {
  ORDER_PAID: [409, "ORDER_PAID", "the order is already paid"],
  ORDER_CLOSED: [409, "ORDER_CLOSED", "the order is closed"],
  ORDER_EXPIRED: [409, "ORDER_EXPIRED", "the order has expired"],
  OPENID_MISMATCH: [403, "OPENID_MISMATCH", "this prepay belongs to another openid"],
};

/** A shopper acts on an order (see engine/orders.ts `pay`). */
export function pay(c: SandboxContext, o: SandboxOrder, outcome: PayOutcome, openid?: string): PayResult {
  try {
    shopperPays(c, o, outcome, openid);
  } catch (e) {
    const known = e instanceof EngineError ? CONTROL_ERRORS[e.code] : undefined;
    if (known) throw new ControlError(...known);
    throw e;
  }
  return { out_trade_no: o.outTradeNo, trade_state: o.tradeState, transaction_id: o.transactionId };
}

/** Open CORS for /__sandbox/* (a development tool the H5 shop calls from another origin). */
export function controlCors(): import("koa").Middleware {
  return async (ctx, next) => {
    if (!ctx.path.startsWith("/__sandbox/")) return next();
    ctx.set("Access-Control-Allow-Origin", "*");
    ctx.set("Access-Control-Allow-Headers", "content-type");
    ctx.set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
    if (ctx.method === "OPTIONS") {
      ctx.status = 204;
      return;
    }
    return next();
  };
}

export function controlRoutes(
  c: SandboxContext,
  urls: () => { baseUrl: string; tlsBaseUrl: string },
): Router {
  const r = new Router({ prefix: "/__sandbox" });
  r.use(async (ctx, next) => {
    try {
      if (["POST", "PUT"].includes(ctx.method) && ctx.is("application/json")) {
        const raw = await getRawBody(ctx.req, { limit: 64 * 1024, encoding: "utf8" });
        try {
          ctx.state.json = raw ? JSON.parse(raw) : {};
        } catch {
          throw new ControlError(400, "MALFORMED_JSON", "body is not JSON");
        }
      }
      await next();
    } catch (e) {
      if (e instanceof ControlError) {
        ctx.status = e.status;
        ctx.body = { error: { code: e.code, message: e.message } } satisfies ErrorBody;
      } else if (e instanceof z.ZodError) {
        ctx.status = 400;
        ctx.body = {
          error: {
            code: "VALIDATION_FAILED",
            message: e.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
          },
        };
      } else throw e;
    }
  });

  r.get("/merchants", (ctx) => {
    const k = c.merchants.keys;
    const { baseUrl, tlsBaseUrl } = urls();
    const doc: MerchantsDoc = {
      baseUrl,
      tlsBaseUrl,
      caCertificatePem: k.caCertPem,
      merchants: k.merchants.map((m) => ({
        name: m.name,
        apiVersion: m.apiVersion,
        appid: m.appid,
        appsecret: m.appsecret,
        mchid: m.mchid,
        signType: m.signType,
        apiV2Key: m.apiV2Key,
        apiV3Key: m.apiV3Key,
        merchantPrivateKeyPem: k.merchantKeyPem,
        merchantCertificatePem: m.merchantCertificatePem,
        merchantCertificateSerial: m.merchantCertificateSerial,
        clientCertPem: m.merchantCertificatePem,
        clientKeyPem: k.merchantKeyPem,
        keyMode: m.keyMode,
        platformCertificatePem: k.platformCertPem,
        platformCertificateSerial: k.platformCertSerial,
        wechatpayPublicKeyPem: k.wechatPublicKeyPem,
        wechatpayPublicKeyId: k.wechatPublicKeyId,
      })),
    };
    ctx.body = doc;
  });

  r.post("/login-codes", (ctx) => {
    const b = LoginCodeReq.parse(ctx.state.json ?? {});
    if (!c.merchants.byAppid(b.appid))
      throw new ControlError(404, "APPID_NOT_FOUND", "no merchant has that appid");
    ctx.body = c.store.issueCode(b.appid, b.openid) satisfies LoginCode;
  });

  r.post("/pay", (ctx) => {
    const b = PayReq.parse(ctx.state.json ?? {});
    ctx.body = pay(c, findOrder(c, b), b.outcome, b.openid);
  });

  r.get("/scenarios", (ctx) => {
    ctx.body = { scenarios: c.scenarios.list() } satisfies ScenariosBody;
  });
  r.post("/scenarios", (ctx) => {
    const body = ctx.state.json ?? {};
    const rules = Array.isArray(body) ? body : Array.isArray(body.rules) ? body.rules : [body];
    const parsed = rules.map((x: unknown) => ScenarioRule.parse(x));
    ctx.status = 201;
    ctx.body = { scenarios: parsed.map((p: ScenarioRule) => c.scenarios.add(p)) } satisfies ScenariosBody;
  });
  r.delete("/scenarios", (ctx) => {
    ctx.body = { cleared: c.scenarios.clear() } satisfies ClearedBody;
  });

  r.get("/notifications", (ctx) => {
    const no = typeof ctx.query.out_trade_no === "string" ? ctx.query.out_trade_no : null;
    ctx.body = {
      notifications: c.notifier.attempts.filter((a) => !no || a.out_trade_no === no),
    } satisfies NotificationsBody;
  });

  r.get("/cashier", async (ctx) => {
    const q = ctx.query as Record<string, string | undefined>;
    const o = findOrder(c, { prepay_id: q.prepay_id, code_url: q.code_url });
    ctx.type = "text/html; charset=utf-8";
    ctx.body = await cashierPage(o, { openid: q.openid, returnUrl: q.return_url, codeUrl: q.code_url });
  });
  r.post("/cashier", async (ctx) => {
    const raw = await getRawBody(ctx.req, { limit: 16 * 1024, encoding: "utf8" });
    const f = Object.fromEntries(new URLSearchParams(raw));
    const o = findOrder(c, { prepay_id: f.prepay_id || undefined, code_url: f.code_url || undefined });
    let result: "ok" | "cancel" | "fail" = "cancel";
    if (f.action === "pay") {
      try {
        pay(c, o, "SUCCESS", f.openid || undefined);
        result = "ok";
      } catch {
        result = "fail";
      }
    }
    if (f.return_url && /^https?:\/\//.test(f.return_url)) {
      ctx.status = 303;
      ctx.redirect(`${f.return_url}${f.return_url.includes("?") ? "&" : "?"}payResult=${result}`);
      return;
    }
    ctx.type = "text/html; charset=utf-8";
    ctx.body = resultPage(o, result);
  });
  return r;
}
