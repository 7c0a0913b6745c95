/**
 * The sweeper: lost notifies recovered through orderquery after a minute, expired orders closed at
 * WeChat first and then locally (stock returned), and an order paid at the last second settled as
 * paid rather than expired. Time moves through the injected clock, never by sleeping.
 */
import { useSandbox, useStack } from "../helpers/sandbox-stack";

const sandbox = useSandbox();
const stack = useStack(sandbox, "v3-public-key");

describe("sweeper", () => {
  let token: string;
  beforeAll(async () => {
    ({ token } = await stack.login());
  });

  it("an expired order cannot be paid, and the sweeper expires it and returns its stock", async () => {
    const before = (await stack.h.ds.query(`SELECT stock FROM products WHERE id = 'oolong-tea'`))[0].stock;
    const o = await stack.order(token, "oolong-tea", 2);
    stack.clockOffsetMs = 31 * 60_000;
    try {
      const r = await stack.api("POST", `/api/v1/orders/${o.body.id}/payments`, {
        token,
        body: { method: "jsapi" },
      });
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe("ORDER_EXPIRED");
      await stack.h.sweeper.runOnce();
    } finally {
      stack.clockOffsetMs = 0;
    }
    const after = await stack.api("GET", `/api/v1/orders/${o.body.id}`, { token });
    expect(after.body.state).toBe("expired");
    const late = await stack.api("POST", `/api/v1/orders/${o.body.id}/payments`, {
      token,
      body: { method: "jsapi" },
    });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe("ORDER_NOT_PAYABLE");
    expect((await stack.h.ds.query(`SELECT stock FROM products WHERE id = 'oolong-tea'`))[0].stock).toBe(
      before,
    );
  });

  it("the sweeper recovers a payment whose notify was lost (after a minute, through orderquery)", async () => {
    const { token: t, openid } = await stack.login();
    const o = await stack.order(t, "red-envelope", 1);
    const pay = await stack.api("POST", `/api/v1/orders/${o.body.id}/payments`, {
      token: t,
      body: { method: "jsapi" },
    });
    await stack.sb.scenario({
      match: { out_trade_no: o.body.outTradeNo },
      action: "drop_notify",
    });
    await stack.sb.pay({
      prepay_id: pay.body.params.package.slice("prepay_id=".length),
      openid,
      outcome: "SUCCESS",
    });
    await stack.h.sweeper.runOnce(); // under a minute old: left alone
    expect((await stack.api("GET", `/api/v1/orders/${o.body.id}`, { token: t })).body.state).toBe("paying");
    await stack.sweepAt(2 * 60_000);
    await stack.sb.clearScenarios();
    expect((await stack.api("GET", `/api/v1/orders/${o.body.id}`, { token: t })).body.state).toBe("paid");
    const ev = await stack.h.ds.query(
      `SELECT source FROM order_events WHERE order_id = $1 AND to_state = 'paid'`,
      [o.body.id],
    );
    expect(ev).toEqual([{ source: "sweeper" }]);
  });

  it("an expiring order paid at the last second (close answers ORDERPAID) becomes paid, not expired", async () => {
    const { token: t } = await stack.login();
    const o = await stack.order(t, "red-envelope", 1);
    await stack.api("POST", `/api/v1/orders/${o.body.id}/payments`, { token: t, body: { method: "jsapi" } });
    await stack.sb.addScenarios([
      { match: { out_trade_no: o.body.outTradeNo }, action: "close_orderpaid" },
      { match: { out_trade_no: o.body.outTradeNo }, action: "drop_notify" },
    ]);
    await stack.sweepAt(31 * 60_000);
    await stack.sb.clearScenarios();
    expect((await stack.api("GET", `/api/v1/orders/${o.body.id}`, { token: t })).body.state).toBe("paid");
  });
});
