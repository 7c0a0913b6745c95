/**
 * Adapters that report to the MetricsPort around the seams the services already use, so neither
 * the services nor domain/ know about metrics:
 * - the Db: committed order transitions (OrdersRepo.moveState, and NotifySettleRepo.settlePaid which
 *   moves the order and writes the notify_log row in one statement), refund moves (RefundsRepo.move)
 *   and notify outcomes (notify_log rows);
 * - the merchant registry: every gateway call to WeChat, timed, with its failure class.
 */
import type { Db, Repos } from "../db/repositories";
import type { MerchantContext, MerchantRegistry } from "../merchants/registry";
import type { RefundState } from "@minipay/shared";
import type { MetricsPort, RefundResult } from "../services/metrics-port";
import { WechatUpstreamError } from "../wechat/errors";
import type { PaymentGateway } from "../wechat/types";

function instrumentRepos(r: Repos, m: MetricsPort, note: (f: () => void) => void): Repos {
  const orders = Object.create(r.orders) as Repos["orders"];
  orders.moveState = async (...a: Parameters<Repos["orders"]["moveState"]>) => {
    const moved = await r.orders.moveState(...a);
    if (moved) note(() => m.orderTransition(a[1], a[2]));
    return moved;
  };
  const notifyLog = Object.create(r.notifyLog) as Repos["notifyLog"];
  notifyLog.insert = async (e) => {
    await r.notifyLog.insert(e);
    note(() => m.notify(e.apiVersion, e.kind, e.outcome));
  };
  const notifySettle = Object.create(r.notifySettle) as Repos["notifySettle"];
  notifySettle.settlePaid = async (p) => {
    const out = await r.notifySettle.settlePaid(p);
    if (out.result === "applied")
      note(() => {
        m.orderTransition(out.from, p.to);
        m.notify(p.apiVersion, "pay", "applied");
      });
    else if (out.result === "duplicate") note(() => m.notify(p.apiVersion, "pay", "noop"));
    return out;
  };
  const refunds = Object.create(r.refunds) as Repos["refunds"];
  refunds.move = async (...a: Parameters<Repos["refunds"]["move"]>) => {
    const moved = await r.refunds.move(...a);
    const result = moved ? REFUND_RESULT_OF[a[2]] : undefined;
    if (result) note(() => m.refund(result));
    return moved;
  };
  return { ...r, orders, notifyLog, notifySettle, refunds };
}

/** Refund moves as the refunds counter names them: closed by WeChat = failed, refused = rejected. */
const REFUND_RESULT_OF: Partial<Record<RefundState, RefundResult>> = {
  processing: "processing",
  succeeded: "succeeded",
  closed: "failed",
  failed: "rejected",
};

/** The Db, counting only what commits: inside a transaction the counts wait for the commit. */
export function instrumentDb(db: Db, m: MetricsPort): Db {
  return {
    repos: instrumentRepos(db.repos, m, (f) => f()),
    transaction: async (fn) => {
      const pending: (() => void)[] = [];
      const out = await db.transaction((r) => fn(instrumentRepos(r, m, (f) => pending.push(f))));
      for (const f of pending) f();
      return out;
    },
    ping: () => db.ping(),
  };
}

/** The failure class of a WeChat call, for a label (a small fixed set). */
export function failureClass(err: unknown): string {
  return err instanceof WechatUpstreamError ? err.failure : "other";
}

const CALLS = ["prepay", "queryOrder", "closeOrder", "refund", "queryRefund", "downloadTradeBill"] as const;

export function instrumentGateway<G extends PaymentGateway>(gw: G, m: MetricsPort): G {
  const out = Object.create(gw) as G;
  for (const name of CALLS) {
    const call = gw[name] as (...a: unknown[]) => Promise<unknown>;
    (out as Record<string, unknown>)[name] = async (...a: unknown[]) => {
      const started = process.hrtime.bigint();
      const took = () => Number(process.hrtime.bigint() - started) / 1e9;
      try {
        const v = await call.apply(gw, a);
        m.wechatCall(name, took(), null);
        return v;
      } catch (err) {
        m.wechatCall(name, took(), failureClass(err));
        throw err;
      }
    };
  }
  return out;
}

/** The registry handing out contexts whose gateways report each call (one wrapper per context). */
export function instrumentRegistry(reg: MerchantRegistry, m: MetricsPort): MerchantRegistry {
  const wrapped = new WeakMap<MerchantContext, MerchantContext>();
  const wrap = (c: MerchantContext): MerchantContext => {
    let w = wrapped.get(c);
    if (!w) {
      w = { ...c, gateway: instrumentGateway(c.gateway, m) };
      wrapped.set(c, w);
    }
    return w;
  };
  return {
    byId: async (id) => {
      const c = await reg.byId(id);
      return c ? wrap(c) : null;
    },
    forApp: async (appid) => wrap(await reg.forApp(appid)),
    all: async () => (await reg.all()).map(wrap),
    legacy: async () => {
      const c = await reg.legacy();
      return c ? wrap(c) : null;
    },
  };
}
