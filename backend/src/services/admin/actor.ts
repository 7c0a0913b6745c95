/** Who made an admin change (an API key, or the operator's CLI) and the request it came in on. */
import type { Repos } from "../../db/repositories";

export interface AdminActor {
  /** null for the operator's CLI, which acts without a key. */
  keyId: string | null;
  keyName: string;
  requestId: string | null;
}

export const CLI_ACTOR: AdminActor = { keyId: null, keyName: "cli", requestId: null };

/** Append one audit row; call it with the transaction's repositories, next to the change itself. */
export async function audit(
  r: Repos,
  who: { merchantId: string; actor: AdminActor; at: Date },
  action: string,
  target: [type: string, id: string],
  change: { before: unknown; after: unknown },
): Promise<void> {
  await r.audit.append({
    merchantId: who.merchantId,
    at: who.at,
    actorKeyId: who.actor.keyId,
    actorKeyName: who.actor.keyName,
    action,
    targetType: target[0],
    targetId: target[1],
    before: change.before ?? null,
    after: change.after ?? null,
    requestId: who.actor.requestId,
  });
}
