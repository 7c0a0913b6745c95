import { ADMIN_SCOPES } from "@minipay/shared";
import { abilities, homePage, visiblePages } from "./pages";

describe("scope → visible pages", () => {
  it("a key with every scope sees every page, dashboard first", () => {
    expect(visiblePages(ADMIN_SCOPES)).toEqual([
      "dashboard",
      "orders",
      "refunds",
      "products",
      "anomalies",
      "reconciliation",
      "webhooks",
      "keys",
      "audit",
    ]);
    expect(homePage(ADMIN_SCOPES)).toBe("dashboard");
  });

  it("orders:read alone opens orders, refunds and anomalies, and draws no write buttons", () => {
    expect(visiblePages(["orders:read"])).toEqual(["orders", "refunds", "anomalies"]);
    expect(homePage(["orders:read"])).toBe("orders");
    expect(abilities(["orders:read"])).toEqual({
      writeOrders: false,
      editProducts: false,
      readOrders: true,
      refund: false,
      webhooks: false,
    });
  });

  it("refunds:write draws the refund button; webhooks:write opens the webhooks page; reports:read reconciliation", () => {
    expect(abilities(["orders:read", "refunds:write"]).refund).toBe(true);
    expect(visiblePages(["webhooks:write"])).toEqual(["webhooks"]);
    expect(visiblePages(["reports:read"])).toEqual(["dashboard", "reconciliation"]);
  });

  it("a write scope without its read scope opens no page by itself", () => {
    expect(visiblePages(["products:write", "orders:write"])).toEqual([]);
    expect(homePage(["products:write"])).toBeNull();
  });

  it("products:read without products:write shows the list but not the editor", () => {
    expect(visiblePages(["products:read"])).toEqual(["products"]);
    expect(abilities(["products:read"]).editProducts).toBe(false);
    expect(abilities(["products:read", "products:write"]).editProducts).toBe(true);
  });
});
