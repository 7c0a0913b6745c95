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
  /** [method, closed] of each number, oldest first. */
  const switches = async () => (await numbers()).map((n) => [n.method, n.closed]);
  return { token, openid, order: o.body, pay, state, numbers, switches };
}

describe.each(["v2-hmac", "v3-public-key"] as const)("merchant %s", (name) => {
  const stack = useStack(sandbox, name);

  it("QR then in-app pay: a second WeChat number, the first closed at WeChat, paid once", async () => {
    const s = await newOrder(stack);
    const qr = await s.pay("native");
    expect(qr.status).toBe(200);
    const jsapi = await s.pay("jsapi");
    expect(jsapi.status).toBe(200);
    expect(await s.switches()).toEqual([
      ["native", true],
      ["jsapi", false],
    ]);
    const numbers = await s.numbers();
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
    expect(await s.switches()).toEqual([
      ["jsapi", true],
      ["native", true],
      ["jsapi", false],
    ]);
    const numbers = await s.numbers();
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
    await stack.sweepAt(31 * 60_000);
    expect(await s.state()).toBe("expired");
    expect((await s.numbers()).map((n) => n.closed)).toEqual([true, true]);
    // WeChat agrees: neither number can be paid any more.
    for (const n of await s.numbers())
      await expect(
        stack.sb.pay({ out_trade_no: n.out_trade_no, openid: s.openid, outcome: "SUCCESS" }),
      ).rejects.toThrow();
  });

  it("in-app pay and QR tapped at the same moment on a fresh order: never a 5xx, one usable number per method", async () => {
    for (let i = 0; i < 4; i++) {
      const s = await newOrder(stack);
      const answers = await Promise.all([s.pay("jsapi"), s.pay("native")]);
      for (const a of answers) {
        expect(a.status).toBeLessThan(500);
        if (a.status !== 200) expect(a.body.error.code).toBe("PAYMENT_METHOD_SWITCHED");
      }
      expect(answers.some((a) => a.status === 200)).toBe(true);
      const open = (await s.numbers()).filter((n) => !n.closed);
      expect(open.length).toBeLessThanOrEqual(2);
    }
  });

  it("a first prepay that failed leaves a number WeChat never had: switching, then expiry, still ends", async () => {
    const s = await newOrder(stack);
    await stack.sb.scenario({
      action: "prepay_error",
      mode: "SYSTEMERROR",
      times: 20,
      match: { out_trade_no: s.order.outTradeNo },
    });
    expect((await s.pay("jsapi")).status).toBe(502);
    expect((await s.pay("native")).status).toBe(200);
    await stack.sweepAt(31 * 60_000);
    expect(await s.state()).toBe("expired");
    expect((await s.numbers()).every((n) => n.closed)).toBe(true);
  });

  it("switching methods is bounded per order", async () => {
    const s = await newOrder(stack);
    for (let i = 0; i < 8; i++) expect((await s.pay(i % 2 ? "native" : "jsapi")).status).toBe(200);
    expect((await s.pay("native")).status).toBe(200); // the usable native number is reused: no new one
    const last = await s.pay("jsapi");
    expect(last.status).toBe(409);
    expect(last.body.error.code).toBe("PAYMENT_ATTEMPTS_EXCEEDED");
  });
});

describe("a switch while the first prepay is still in flight (v3)", () => {
  const stack = useStack(sandbox, "v3-public-key");

  it("the late prepay is refused and closed at WeChat, so it can never take money unseen", async () => {
    const s = await newOrder(stack);
    await stack.sb.scenario({
      action: "prepay_error",
      mode: "timeout",
      ms: 1500,
      times: 1,
      match: { out_trade_no: s.order.outTradeNo },
    });
    const slow = s.pay("jsapi");
    await new Promise((r) => setTimeout(r, 400));
    const qr = await s.pay("native");
    expect(qr.status).toBe(200);
    const late = await slow;
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe("PAYMENT_METHOD_SWITCHED");
    // WeChat has the first number, and it is closed there: it cannot be paid.
    await expect(
      stack.sb.pay({ out_trade_no: s.order.outTradeNo, openid: s.openid, outcome: "SUCCESS" }),
    ).rejects.toThrow();
    const live = await stack.h.ds.query(
      `SELECT method FROM payment_attempts WHERE order_id = $1 AND superseded_at IS NULL`,
      [s.order.id],
    );
    expect(live).toEqual([{ method: "native" }]);
    // A second in-app tap gets a fresh number, never the refused prepay.
    const again = await s.pay("jsapi");
    expect(again.status).toBe(200);
    expect((await s.numbers()).map((n) => n.method)).toEqual(["jsapi", "native", "jsapi"]);
  });
});
