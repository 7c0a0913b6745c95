/** Anomalies for the merchant's people: list with filters, resolve once with a note (audited). */
import type { Anomaly, AnomalyPage } from "@minipay/shared";
import { AppError } from "../../domain/errors";
import type { AnomalyRecord } from "../../db/repositories";
import type { AnomalyFilter } from "../../db/repositories/anomalies";
import type { ServiceDeps } from "../deps";
import { audit, type AdminActor } from "./actor";
import { decodeIdCursor, pageOf } from "./id-cursor";

export const anomalyView = (a: AnomalyRecord): Anomaly => ({
  id: a.id,
  kind: a.kind,
  source: a.source,
  orderId: a.orderId,
  outTradeNo: a.outTradeNo,
  facts: a.facts,
  createdAt: a.createdAt.toISOString(),
  resolvedAt: a.resolvedAt?.toISOString() ?? null,
  resolutionNote: a.resolutionNote,
});

export class AnomalyService {
  constructor(private readonly deps: ServiceDeps) {}

  async list(
    merchantId: string,
    q: { filter: AnomalyFilter; limit: number; cursor?: string },
  ): Promise<AnomalyPage> {
    const { filter, limit, cursor } = q;
    const before = cursor === undefined ? null : decodeIdCursor(cursor);
    const rows = await this.deps.db.repos.anomalies.page(merchantId, {
      filter,
      limit: limit + 1,
      beforeId: before,
    });
    const { page, nextCursor } = pageOf(rows, limit);
    return { anomalies: page.map(anomalyView), nextCursor };
  }

  async resolve(merchantId: string, id: string, note: string, actor: AdminActor): Promise<Anomaly> {
    const now = this.deps.now();
    return this.deps.db.transaction(async (r) => {
      const a = await r.anomalies.lock(merchantId, id);
      if (!a) throw new AppError("RESOURCE_NOT_FOUND", undefined, { type: "anomaly", id });
      if (a.resolvedAt)
        throw new AppError("ANOMALY_ALREADY_RESOLVED", undefined, { resolvedAt: a.resolvedAt.toISOString() });
      const done = (await r.anomalies.resolve(merchantId, id, { note, keyId: actor.keyId, at: now }))!;
      await audit(r, { merchantId, actor, at: now }, "anomaly.resolve", ["anomaly", id], {
        before: { resolvedAt: null, resolutionNote: null },
        after: { resolvedAt: now.toISOString(), resolutionNote: note },
      });
      return anomalyView(done);
    });
  }
}
