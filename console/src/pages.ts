/**
 * Which console pages a key can use: each page needs one admin scope to be read (the same scopes
 * the API checks, shared/src/admin.ts) and some of its buttons need a write scope. Pages a key cannot
 * read are not offered at all; buttons it cannot use are not drawn.
 */
import type { AdminScope } from "@minipay/shared";

export const PAGES = [
  { id: "dashboard", needs: "reports:read" },
  { id: "orders", needs: "orders:read" },
  { id: "refunds", needs: "orders:read" },
  { id: "products", needs: "products:read" },
  { id: "anomalies", needs: "orders:read" },
  { id: "reconciliation", needs: "reports:read" },
  { id: "webhooks", needs: "webhooks:write" },
  { id: "keys", needs: "keys:write" },
  { id: "audit", needs: "audit:read" },
] as const satisfies readonly { id: string; needs: AdminScope }[];
export type PageId = (typeof PAGES)[number]["id"];

/** The pages `scopes` can open, in menu order. */
export function visiblePages(scopes: readonly AdminScope[]): PageId[] {
  return PAGES.filter((p) => scopes.includes(p.needs)).map((p) => p.id);
}

/** Where to land after signing in: the first page the key can open, or null (it can open none). */
export function homePage(scopes: readonly AdminScope[]): PageId | null {
  return visiblePages(scopes)[0] ?? null;
}

/** What a key may do beyond reading: the actions drawn on the pages. */
export function abilities(scopes: readonly AdminScope[]) {
  const has = (s: AdminScope) => scopes.includes(s);
  return {
    /** Close and sync an order, resolve an anomaly. */
    writeOrders: has("orders:write"),
    /** Create, edit, archive, adjust stock. */
    editProducts: has("products:write"),
    /** Open anomalies on the dashboard come from the orders:read list. */
    readOrders: has("orders:read"),
    /** The refund dialog on a paid order. */
    refund: has("refunds:write"),
    /** Webhook endpoints and deliveries (one scope reads and writes them), and the dashboard's
     * failed-deliveries tile. */
    webhooks: has("webhooks:write"),
  };
}
