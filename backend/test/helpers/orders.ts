/** Orders made straight through the repositories, for service tests that do not need HTTP. */
import crypto from "node:crypto";
import type { OrderState } from "@minipay/shared";
import type { Db, OrderRecord } from "../../src/db/repositories";
import { transition } from "../../src/services/transition";

export async function makeUser(db: Db, merchantId: string, appid: string): Promise<string> {
  return db.repos.users.upsert({
    merchantId,
    appid,
    openid: `o-${crypto.randomBytes(6).toString("hex")}`,
    unionid: null,
    sessionKeySealed: "sealed",
  });
}

/** An order for `quantity` units of `productId`, stock taken, moved to `state` through transition(). */
export async function makeOrder(
  db: Db,
  o: {
    merchantId: string;
    userId: string;
    productId: string;
    quantity: number;
    state?: OrderState;
    now?: Date;
  },
): Promise<OrderRecord> {
  const now = o.now ?? new Date();
  return db.transaction(async (r) => {
    const [p] = await r.products.lockForPricing(o.merchantId, [o.productId]);
    const order = await r.orders.insert({
      userId: o.userId,
      merchantId: o.merchantId,
      outTradeNo: `MP${crypto.randomBytes(8).toString("hex").toUpperCase()}`,
      totalFen: p!.priceFen * o.quantity,
      description: p!.name,
      idempotencyKey: crypto.randomUUID(),
      requestHash: "h",
      expiresAt: new Date(now.getTime() + 30 * 60_000),
      now,
    });
    const subtotal = p!.priceFen * o.quantity;
    await r.orders.insertItems(order.id, o.merchantId, [
      {
        productId: p!.id,
        name: p!.name,
        unitPriceFen: p!.priceFen,
        quantity: o.quantity,
        subtotalFen: subtotal,
      },
    ]);
    await r.products.take(o.merchantId, p!.id, o.quantity);
    let state: OrderState = "created";
    for (const next of o.state === "paying"
      ? ["paying"]
      : o.state && o.state !== "created"
        ? ["paying", o.state]
        : []) {
      await transition(r, { id: order.id, state }, next as OrderState, "api");
      state = next as OrderState;
    }
    return { ...order, state };
  });
}
