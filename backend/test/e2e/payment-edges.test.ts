/**
 * Payment edges: the per-user verify rate limit, paying an order that is already paid, and
 * WeChat's orderquery failing (502, order unchanged).
 */
import { payingOrder, useSandbox, useStack } from "../helpers/sandbox-stack";

const sandbox = useSandbox();

describe("verify is rate limited per user", () => {
  const stack = useStack(sandbox, "v3-public-key", { verifyPerMinute: 2 });

  it("the third verify in a minute → 429 RATE_LIMITED, another user is unaffected", async () => {
    const { token } = await stack.login();
    const o = await stack.order(token, "test-1-fen", 1);
    for (let i = 0; i < 2; i++)
      expect((await stack.api("POST", `/api/v1/orders/${o.body.id}/verify`, { token })).status).toBe(200);
    const third = await stack.api("POST", `/api/v1/orders/${o.body.id}/verify`, { token });
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe("RATE_LIMITED");
    const other = await stack.login();
    const theirs = await stack.order(other.token, "test-1-fen", 1);
    expect(
      (await stack.api("POST", `/api/v1/orders/${theirs.body.id}/verify`, { token: other.token })).status,
    ).toBe(200);
  });
});

describe("paying twice and WeChat failing", () => {
  const stack = useStack(sandbox, "v3-platform-cert");

  it("asking to pay a paid order → 409 ORDER_ALREADY_PAID", async () => {
    const { token, openid, order, prepayId } = await payingOrder(stack, {
      productId: "test-1-fen",
      quantity: 3,
    });
    await stack.sb.pay({ prepay_id: prepayId, openid, outcome: "SUCCESS" });
    expect((await stack.api("POST", `/api/v1/orders/${order.id}/verify`, { token })).body.state).toBe("paid");
    const again = await stack.api("POST", `/api/v1/orders/${order.id}/payments`, {
      token,
      body: { method: "jsapi" },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("ORDER_ALREADY_PAID");
  });

  it.each(["http_500", "SYSTEMERROR"] as const)(
    "orderquery failing with %s → 502 UPSTREAM_ERROR, order unchanged",
    async (mode) => {
      const { token, order } = await payingOrder(stack, { productId: "test-1-fen", quantity: 3 });
      await stack.sb.scenario({
        match: { out_trade_no: order.outTradeNo },
        action: "query_error",
        mode,
      });
      const r = await stack.api("POST", `/api/v1/orders/${order.id}/verify`, { token });
      expect(r.status).toBe(502);
      expect(r.body.error.code).toBe("UPSTREAM_ERROR");
      expect(JSON.stringify(r.body)).not.toMatch(/SYSTEM_ERROR|stack|at /);
      await stack.sb.clearScenarios();
      expect((await stack.api("POST", `/api/v1/orders/${order.id}/verify`, { token })).body.state).toBe(
        "paying",
      );
    },
  );
});
