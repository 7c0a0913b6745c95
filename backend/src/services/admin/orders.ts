/**
 * The merchant's orders: a filtered keyset list, one order with everything that happened to it, and
 * two actions. Closing an unpaid order closes its numbers at WeChat first (outside any transaction),
 * then moves it to `closed` and gives its stock back; syncing asks WeChat about every number now and
 * applies the answers through settle. Both write one audit row in the transaction of the change.
 */
import {
  isPayable,
  type AdminOrderDetail,
  type AdminOrderPage,
  type AdminOrderSummary,
  type OrderFilterQuery,
} from "@minipay/shared";
import { keysetPage } from "../keyset";
import { AppError } from "../../domain/errors";
import type { OrderRecord } from "../../db/repositories";
import type { AdminOrderFilter } from "../../db/repositories/orders";
import { decodeCursor, encodeCursor } from "../cursor";
import type { ServiceDeps } from "../deps";
import { closeAtWechat, type CheckedMerchant } from "../order-checks";
import { settle } from "../settle";
import { allTradeNumbers, openTradeNumbers } from "../trade-numbers";
import { releaseStock, transition } from "../transition";
import { mapUpstream } from "../upstream-errors";
import { audit, type AdminActor } from "./actor";
import { anomalyView } from "./anomalies";
import { refundView } from "../refunds";

export const orderSummary = (o: OrderRecord): AdminOrderSummary => ({
  id: o.id,
  userId: o.userId,
  source: o.source,
  outTradeNo: o.outTradeNo,
  transactionId: o.transactionId,
  state: o.state,
  totalFen: o.totalFen,
  refundedFen: o.refundedFen,
  currency: o.currency,
  description: o.description,
  createdAt: o.createdAt.toISOString(),
  expiresAt: o.expiresAt.toISOString(),
  paidAt: o.paidAt?.toISOString() ?? null,
  updatedAt: o.updatedAt.toISOString(),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const notFound = (id: string) => new AppError("RESOURCE_NOT_FOUND", undefined, { type: "order", id });

export class AdminOrderService {
  constructor(private readonly deps: ServiceDeps) {}

  async list(
    merchantId: string,
    q: { filter: AdminOrderFilter; limit: number; cursor?: string },
  ): Promise<AdminOrderPage> {
    const { filter, limit, cursor } = q;
    const after = cursor === undefined ? null : decodeCursor(cursor);
    const rows = await this.deps.db.repos.orders.adminPage(merchantId, { filter, limit: limit + 1, after });
    const { page, nextCursor } = keysetPage(rows, limit, encodeCursor);
    return { orders: page.map(orderSummary), nextCursor };
  }

  /** The merchant's order, or 404 (another merchant's order is simply not found). */
  private async find(merchantId: string, id: string): Promise<OrderRecord> {
    const o = UUID.test(id) ? await this.deps.db.repos.orders.byId(merchantId, id) : null;
    if (!o) throw notFound(id);
    return o;
  }

  async detail(merchantId: string, id: string): Promise<AdminOrderDetail> {
    const o = await this.find(merchantId, id);
    const r = this.deps.db.repos;
    const [items, events, attempts, numbers, anomalies, refunds] = await Promise.all([
      r.orders.items(o.id),
      r.events.timeline(o.id),
      r.attempts.forOrder(o.id),
      r.tradeNumbers.forOrder(o.id),
      r.anomalies.forOrder(merchantId, o.id),
      r.refunds.forOrder(o.id),
    ]);
    return {
      ...orderSummary(o),
      items,
      events: events.map((e) => ({
        type: e.type,
        from: e.from,
        to: e.to,
        source: e.source,
        at: e.createdAt.toISOString(),
      })),
      attempts: attempts.map((a) => ({
        id: a.id,
        outTradeNo: a.outTradeNo,
        method: a.method,
        createdAt: a.createdAt.toISOString(),
        expiresAt: a.expiresAt.toISOString(),
        superseded: a.superseded,
      })),
      tradeNumbers: numbers.map((n) => ({
        outTradeNo: n.outTradeNo,
        method: n.method,
        createdAt: n.createdAt.toISOString(),
        closingAt: n.closingAt?.toISOString() ?? null,
        closedAt: n.closedAt?.toISOString() ?? null,
      })),
      anomalies: anomalies.map(anomalyView),
      refunds: refunds.map(refundView),
    };
  }

  /**
   * Close an unpaid order: every open number closed at WeChat first; a number WeChat says was paid
   * is settled instead and the close refused (ORDER_NOT_CLOSABLE). Then `closed`, stock back, audit.
   */
  async close(m: CheckedMerchant, id: string, actor: AdminActor): Promise<AdminOrderDetail> {
    const o = await this.find(m.id, id);
    const refuse = (state: string) => new AppError("ORDER_NOT_CLOSABLE", undefined, { state });
    if (!isPayable(o.state)) throw refuse(o.state);
    if (o.state === "paying" || (await this.deps.db.repos.tradeNumbers.forOrder(o.id)).length > 0)
      for (const no of await openTradeNumbers(this.deps, o)) {
        let closed;
        try {
          closed = await closeAtWechat(m, no);
        } catch (err) {
          mapUpstream(err);
        }
        if (closed === "already_paid") {
          const facts = await m.gateway.queryOrder(no).catch(mapUpstream);
          if (facts) await settle(this.deps, m, facts, "admin");
          throw refuse((await this.deps.db.repos.orders.byId(m.id, o.id))?.state ?? "paid");
        }
        await this.deps.db.repos.tradeNumbers.markClosed(m.id, no, this.deps.now());
      }
    const now = this.deps.now();
    await this.deps.db.transaction(async (r) => {
      const row = await r.orders.lock(m.id, o.id);
      if (!row || !isPayable(row.state)) throw refuse(row?.state ?? "unknown");
      if (!(await transition(r, row, "closed", "admin", { by: "merchant" }))) throw refuse(row.state);
      await releaseStock(r, row.id);
      await audit(r, { merchantId: m.id, actor, at: now }, "order.close", ["order", row.id], {
        before: { state: row.state },
        after: { state: "closed" },
      });
    });
    return this.detail(m.id, o.id);
  }

  /**
   * Ask WeChat about every number of the order now and apply each answer through settle. The audit
   * row is written in settle's transaction, only when an answer moved the order.
   */
  async sync(m: CheckedMerchant, id: string, actor: AdminActor): Promise<AdminOrderDetail> {
    const o = await this.find(m.id, id);
    for (const no of await allTradeNumbers(this.deps, o)) {
      const facts = await m.gateway.queryOrder(no).catch(mapUpstream);
      if (!facts) continue;
      await settle(this.deps, m, facts, "admin", async (r, out) => {
        await audit(
          r,
          { merchantId: m.id, actor, at: this.deps.now() },
          "order.sync",
          ["order", out.orderId],
          {
            before: { state: out.from },
            after: { state: out.to, outTradeNo: no, tradeState: facts.tradeState },
          },
        );
      });
    }
    return this.detail(m.id, o.id);
  }
}

/** The parsed query's filters as the repository takes them. */
export function orderFilter(q: OrderFilterQuery): AdminOrderFilter {
  const at = (v: string | undefined) => (v === undefined ? undefined : new Date(v));
  return {
    states: q.state,
    createdFrom: at(q.createdFrom),
    createdTo: at(q.createdTo),
    paidFrom: at(q.paidFrom),
    paidTo: at(q.paidTo),
    minFen: q.minFen,
    maxFen: q.maxFen,
    outTradeNo: q.outTradeNo,
    transactionId: q.transactionId,
    userId: q.userId,
  };
}
