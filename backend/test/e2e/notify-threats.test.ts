/**
 * Reliability threats on the notify path (docs/reliability.md B, C), driven by sandbox scenarios:
 * duplicates applied once, probes / unknown serials / skewed timestamps rejected with no state
 * change (±240 s accepted; the exact edge is a unit test), a validly signed notify with a tampered amount flagged, never applied.
 */
import { eventually, payingOrder, useSandbox, useStack, type Stack } from "../helpers/sandbox-stack";

const sandbox = useSandbox();

function notifyAttempts(stack: Stack, outTradeNo: string) {
  return stack.sb.notifications({ out_trade_no: outTradeNo });
}

async function rejections(stack: Stack, reason: string): Promise<number> {
  const r = await stack.h.ds.query(
    `SELECT count(*)::int AS n FROM notify_log WHERE outcome = 'rejected' AND reason = $1`,
    [reason],
  );
  return r[0].n;
}

describe.each(["v2-hmac", "v3-public-key", "v3-platform-cert"] as const)(
  "notify threats, merchant %s",
  (name) => {
    const stack = useStack(sandbox, name);

    it("10 concurrent duplicate notifies make exactly one transition and one fulfilment event", async () => {
      const { token, openid, order, prepayId } = await payingOrder(stack);
      await stack.sb.scenario({
        match: { out_trade_no: order.outTradeNo },
        action: "duplicate_notify",
        times: 10,
      });
      await stack.sb.pay({ prepay_id: prepayId, openid, outcome: "SUCCESS" });
      await eventually(
        async () => (await notifyAttempts(stack, order.outTradeNo)).filter((a) => a.ok).length >= 10,
      );
      const o = await stack.api("GET", `/api/v1/orders/${order.id}`, { token });
      expect(o.body.state).toBe("paid");
      const moves = await stack.h.ds.query(
        `SELECT count(*)::int AS n FROM order_events WHERE order_id = $1 AND to_state = 'paid'`,
        [order.id],
      );
      expect(moves[0].n).toBe(1);
      const outbox = await stack.h.ds.query(`SELECT count(*)::int AS n FROM outbox WHERE order_id = $1`, [
        order.id,
      ]);
      expect(outbox[0].n).toBe(1);
    });

    it("a validly signed notify with a tampered amount is flagged and changes nothing", async () => {
      const { token, openid, order, prepayId } = await payingOrder(stack);
      await stack.sb.scenario({
        match: { out_trade_no: order.outTradeNo },
        action: "tamper_amount",
      });
      await stack.sb.pay({ prepay_id: prepayId, openid, outcome: "SUCCESS" });
      const flagged = await eventually(async () => {
        const a = await stack.h.ds.query(`SELECT kind FROM anomalies WHERE order_id = $1`, [order.id]);
        return a.length ? a : null;
      });
      expect(flagged[0].kind).toBe("amount_mismatch");
      const o = await stack.api("GET", `/api/v1/orders/${order.id}`, { token });
      expect(o.body.state).toBe("paying");
    });
  },
);

describe.each(["v3-public-key", "v3-platform-cert"] as const)(
  "v3 notify authenticity, merchant %s",
  (name) => {
    const stack = useStack(sandbox, name);

    it("a WECHATPAY/SIGNTEST/ probe is rejected, and the real notify after it is applied", async () => {
      const before = await rejections(stack, "probe");
      const { token, openid, order, prepayId } = await payingOrder(stack);
      await stack.sb.scenario({
        match: { out_trade_no: order.outTradeNo },
        action: "signtest_probe_first",
      });
      await stack.sb.pay({ prepay_id: prepayId, openid, outcome: "SUCCESS" });
      await eventually(
        async () => (await stack.api("GET", `/api/v1/orders/${order.id}`, { token })).body.state === "paid",
      );
      expect(await rejections(stack, "probe")).toBeGreaterThan(before);
    });

    it.each([
      ["unknown serial", { action: "unknown_serial" as const }, "unknown_serial"],
      // The exact ±300 s edge is pinned with a fixed clock in src/wechat/v3/crypto.test.ts; over real
      // HTTP a loaded machine adds delivery delay to the skew, so these stay a minute clear of it.
      ["timestamp +360 s", { action: "skew_timestamp" as const, seconds: 360 }, "timestamp_skew"],
      ["timestamp -360 s", { action: "skew_timestamp" as const, seconds: -360 }, "timestamp_skew"],
    ])("%s is rejected with no state change", async (_label, scenario, reason) => {
      const before = await rejections(stack, reason);
      const { token, openid, order, prepayId } = await payingOrder(stack);
      await stack.sb.scenario({
        match: { out_trade_no: order.outTradeNo },
        ...scenario,
      });
      await stack.sb.pay({ prepay_id: prepayId, openid, outcome: "SUCCESS" });
      await eventually(async () => (await rejections(stack, reason)) > before);
      const o = await stack.api("GET", `/api/v1/orders/${order.id}`, { token });
      expect(o.body.state).toBe("paying");
      const attempts = await notifyAttempts(stack, order.outTradeNo);
      expect(attempts.length).toBeGreaterThan(0);
      expect(attempts.every((a) => !a.ok)).toBe(true);
    });

    it.each([240, -240])("timestamp skewed by %i s is accepted", async (seconds) => {
      const { token, openid, order, prepayId } = await payingOrder(stack);
      await stack.sb.scenario({
        match: { out_trade_no: order.outTradeNo },
        action: "skew_timestamp",
        seconds,
      });
      await stack.sb.pay({ prepay_id: prepayId, openid, outcome: "SUCCESS" });
      await eventually(
        async () => (await stack.api("GET", `/api/v1/orders/${order.id}`, { token })).body.state === "paid",
      );
    });
  },
);
