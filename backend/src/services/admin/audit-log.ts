/** Reading the audit log: the merchant's own entries, newest first, in keyset pages. */
import type { AuditPage } from "@minipay/shared";
import type { ServiceDeps } from "../deps";
import { decodeIdCursor, pageOf } from "./id-cursor";

export class AuditLogService {
  constructor(private readonly deps: ServiceDeps) {}

  async list(merchantId: string, limit: number, cursor?: string): Promise<AuditPage> {
    const before = cursor === undefined ? null : decodeIdCursor(cursor);
    const rows = await this.deps.db.repos.audit.page(merchantId, limit + 1, before);
    const { page, nextCursor } = pageOf(rows, limit);
    return {
      entries: page.map((e) => ({
        id: e.id,
        at: e.at.toISOString(),
        actor: { keyId: e.actorKeyId, keyName: e.actorKeyName },
        action: e.action,
        target: { type: e.targetType, id: e.targetId },
        before: e.before,
        after: e.after,
        requestId: e.requestId,
      })),
      nextCursor,
    };
  }
}
