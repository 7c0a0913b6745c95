/**
 * A shopper who opens the QR code and then taps WeChat Pay (or the reverse): WeChat binds an
 * out_trade_no to one trade type, so each switch gets its own WeChat order number and the previous
 * one is closed at WeChat first. Exactly-once holds across numbers: the order is paid once, a
 * closed number's CLOSED never closes the order, and a payment on a number that could not be
 * closed is flagged as a duplicate payment.
 */
import { eventually, useSandbox, useStack, type Stack } from "../helpers/sandbox-stack";

const sandbox = useSandbox();

async function newOrder(stack: Stack) {
  const { token, openid } = await stack.login();
  const o = await stack.order(token, "oolong-tea", 1);
  const pay = (method: "jsapi" | "native") =>
    stack.api("POST", `/api/v1/orders/${o.body.id}/payments`, { token, body: { method } });
  const state = async () => (await stack.api("GET", `/api/v1/orders/${o.body.id}`, { token })).body.state;
  const numbers = async (): Promise<{ out_trade_no: string; method: string; closed: boolean }[]> =>
    stack.h.ds.query(
      `SELECT out_trade_no, method, closed_at IS NOT NULL AS closed FROM trade_numbers WHERE order_id = $1 ORDER BY created_at`,
      [o.body.id],
    );
  return { token, openid, order: o.body, pay, state, numbers };
}

describe.each(["v2-hmac", "v3-public-key"] as const)("merchant %s", (name) => {
  let clockOffsetMs = 0;
  const stack = useStack(sandbox, name, { now: () => new Date(Date.now() + clockOffsetMs) });

  it("QR then in-app pay: a second WeChat number, the first closed at WeChat, paid once", async () => {
    const s = await newOrder(stack);
    const qr = await s.pay("native");
    expect(qr.status).toBe(200);
    const jsapi = await s.pay("jsapi");
    expect(jsapi.status).toBe(200);
    const numbers = await s.numbers();
    expect(numbers.map((n) => [n.method, n.closed])).toEqual([
      ["native", true],
      ["jsapi", false],
    ]);
    expect(numbers[0]!.out_trade_no).toBe(s.order.outTradeNo);
    expect(numbers[1]!.out_trade_no).not.toBe(s.order.outTradeNo);
    // The closed QR can no longer be paid at WeChat; the new in-app prepay can.
    await expect(
      stack.sb.pay({ code_url: qr.body.codeUrl, openid: s.openid, outcome: "SUCCESS" }),
    ).rejects.toThrow();
    const prepayId = jsapi.body.params.package.slice("prepay_id=".length);
    await stack.sb.pay({ prepay_id: prepayId, openid: s.openid, outcome: "SUCCESS" });
    await eventually(async () => (await s.state()) === "paid");
    // verify asks about both numbers: the closed one's CLOSED must not close a paid order, nor count twice.
    const v = await stack.api("POST", `/api/v1/orders/${s.order.id}/verify`, { token: s.token });
    expect(v.body.state).toBe("paid");
    const paidMoves = await stack.h.ds.query(
      `SELECT count(*)::int AS n FROM order_events WHERE order_id = $1 AND to_state = 'paid'`,
      [s.order.id],
    );
    expect(paidMoves[0].n).toBe(1);
  });

  it("in-app pay then QR then in-app again: each switch a new number; verify alone finds the payment", async () => {
    const s = await newOrder(stack);
    expect((await s.pay("jsapi")).status).toBe(200);
    expect((await s.pay("native")).status).toBe(200);
    const again = await s.pay("jsapi");
    expect(again.status).toBe(200);
    const numbers = await s.numbers();
    expect(numbers.map((n) => [n.method, n.closed])).toEqual([
      ["jsapi", true],
      ["native", true],
      ["jsapi", false],
    ]);
    expect(new Set(numbers.map((n) => n.out_trade_no)).size).toBe(3);
    await stack.sb.scenario({ match: { out_trade_no: numbers[2]!.out_trade_no }, action: "drop_notify" });
    await stack.sb.pay({
      prepay_id: again.body.params.package.slice("prepay_id=".length),
      openid: s.openid,
      outcome: "SUCCESS",
    });
    expect(await s.state()).toBe("paying");
    const v = await stack.api("POST", `/api/v1/orders/${s.order.id}/verify`, { token: s.token });
    expect(v.status).toBe(200);
    expect(v.body.state).toBe("paid");
  });

  it("a number that could not be closed stays open: paying both settles once and flags the second", async () => {
    const s = await newOrder(stack);
    const jsapi = await s.pay("jsapi");
    await stack.sb.scenario({
      match: { out_trade_no: s.order.outTradeNo },
      action: "close_error",
      mode: "SYSTEMERROR",
    });
    const qr = await s.pay("native");
    expect(qr.status).toBe(200);
    expect((await s.numbers()).map((n) => n.closed)).toEqual([false, false]);
    await stack.sb.pay({
      prepay_id: jsapi.body.params.package.slice("prepay_id=".length),
      openid: s.openid,
      outcome: "SUCCESS",
    });
    await eventually(async () => (await s.state()) === "paid");
    await stack.sb.pay({ code_url: qr.body.codeUrl, openid: s.openid, outcome: "SUCCESS" });
    const anomaly = await eventually(async () => {
      const rows = await stack.h.ds.query(`SELECT kind FROM anomalies WHERE order_id = $1`, [s.order.id]);
      return rows.length ? rows : null;
    });
    expect(anomaly).toEqual([{ kind: "duplicate_payment" }]);
    expect(await s.state()).toBe("paid");
  });

  it("expiry closes every open WeChat number of the order before expiring it", async () => {
    const s = await newOrder(stack);
    await s.pay("jsapi");
    await s.pay("native");
    clockOffsetMs = 31 * 60_000;
    try {
      await stack.h.sweeper.runOnce();
    } finally {
      clockOffsetMs = 0;
    }
    expect(await s.state()).toBe("expired");
    expect((await s.numbers()).map((n) => n.closed)).toEqual([true, true]);
    // WeChat agrees: neither number can be paid any more.
    for (const n of await s.numbers())
      await expect(
        stack.sb.pay({ out_trade_no: n.out_trade_no, openid: s.openid, outcome: "SUCCESS" }),
      ).rejects.toThrow();
  });
});
