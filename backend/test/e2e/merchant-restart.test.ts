/**
 * A merchant's identity is its WeChat Pay account: restarting on the same data with another list
 * of merchants never hands old orders to the new merchant. The merchant that left the list is
 * disabled (no new shoppers) but its orders are still verified and swept with its own keys.
 */
import crypto from "node:crypto";
import { merchantIdFor } from "../../src/merchants/secrets";
import { createTestDatabaseUrl } from "../helpers/db";
import { payingOrder, startStack, useSandbox, type Stack } from "../helpers/sandbox-stack";

const sandbox = useSandbox();

it("a restart with a different merchant list keeps every old order with its own merchant", async () => {
  const databaseUrl = await createTestDatabaseUrl();
  const masterKey = crypto.randomBytes(32);
  let clock = 0;
  const now = () => new Date(Date.now() + clock);
  let stack: Stack = await startStack(sandbox, "v3-public-key", { databaseUrl, masterKey, now });
  const v3 = stack.merchant;
  const v3Id = merchantIdFor(v3.credentials.mchid);
  const verified = await payingOrder(stack);
  const swept = await payingOrder(stack);
  await stack.close();

  stack = await startStack(sandbox, "v2-hmac", { databaseUrl, masterKey, now });
  try {
    const v2Id = merchantIdFor(stack.merchant.credentials.mchid);
    const merchants = await stack.h.ds.query(
      `SELECT id, disabled_at IS NOT NULL AS disabled FROM merchants ORDER BY id`,
    );
    expect(merchants).toEqual(
      [
        { id: v3Id, disabled: true },
        { id: v2Id, disabled: false },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
    const owners = await stack.h.ds.query(`SELECT DISTINCT merchant_id FROM orders`);
    expect(owners).toEqual([{ merchant_id: v3Id }]);

    // The old shopper's verify asks WeChat as the old merchant (its notify went to the old server).
    await stack.sb.pay({
      prepay_id: verified.prepayId,
      openid: verified.openid,
      outcome: "SUCCESS",
    });
    const v = await stack.api("POST", `/api/v1/orders/${verified.order.id}/verify`, {
      token: verified.token,
    });
    expect(v.status).toBe(200);
    expect(v.body.state).toBe("paid");

    // The sweeper recovers the other one with the old merchant's credentials, and flags nothing.
    await stack.sb.pay({
      prepay_id: swept.prepayId,
      openid: swept.openid,
      outcome: "SUCCESS",
    });
    clock += 2 * 60_000;
    await stack.h.sweeper.runOnce();
    const rows = await stack.h.ds.query(`SELECT id, state FROM orders WHERE id = ANY($1)`, [
      [swept.order.id],
    ]);
    expect(rows[0].state).toBe("paid");
    expect((await stack.h.ds.query(`SELECT count(*)::int AS n FROM anomalies`))[0].n).toBe(0);

    // Its shoppers' sessions still read and verify, but it sells nothing new.
    const order = await stack.order(swept.token, "oolong-tea", 1);
    expect(order.status).toBe(403);
    expect(order.body.error.code).toBe("MERCHANT_DISABLED");
    const products = await stack.api("GET", "/api/v1/products", { token: swept.token });
    expect(products.body.error.code).toBe("MERCHANT_DISABLED");

    // A disabled merchant takes no new shoppers.
    const code = (await stack.sb.loginCode(v3.credentials.appid)).code;
    const login = await stack.api("POST", "/api/v1/session", { body: { code, appid: v3.credentials.appid } });
    expect(login.status).toBe(400);
    expect(login.body.error.code).toBe("APP_UNKNOWN");
  } finally {
    await stack.close();
  }

  // Configured again, the old merchant is enabled again with its orders intact.
  stack = await startStack(sandbox, "v3-public-key", { databaseUrl, masterKey, now });
  try {
    const again = await stack.api("GET", `/api/v1/orders/${verified.order.id}`, { token: verified.token });
    expect(again.body.state).toBe("paid");
    const enabled = await stack.h.ds.query(`SELECT id FROM merchants WHERE disabled_at IS NULL`);
    expect(enabled).toEqual([{ id: v3Id }]);
  } finally {
    await stack.close();
  }
});
