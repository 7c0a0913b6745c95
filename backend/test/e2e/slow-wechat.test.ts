/**
 * A WeChat that does not answer must not take the backend down with it: prepay is called outside
 * any database transaction, so payments waiting on WeChat hold no pool connection and no row lock.
 * With more payments in flight than the pool has connections, health, the catalogue, other
 * shoppers' orders and notifies all keep answering at once.
 */
import { payingOrder, useSandbox, useStack } from "../helpers/sandbox-stack";

const POOL_SIZE = 10; // backend/src/db/data-source.ts
const HANG_MS = 4000;

const sandbox = useSandbox();
// The gateway waits longer than WeChat hangs, so every payment stays in flight for HANG_MS.
const stack = useStack(sandbox, "v3-public-key", { timeoutMs: HANG_MS * 2 });

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

it("with WeChat hanging on prepay and more payments in flight than pool connections, everything else answers within 1 s", async () => {
  const other = await payingOrder(stack); // placed before WeChat hangs: its notify must still land
  const shoppers = [];
  for (let i = 0; i < POOL_SIZE + 2; i++) {
    const { token } = await stack.login();
    const o = await stack.order(token, "red-envelope", 1);
    shoppers.push({ token, orderId: o.body.id as string });
  }
  await stack.sb.scenario({ action: "prepay_error", mode: "timeout", ms: HANG_MS, times: 100 });
  try {
    const started = performance.now();
    const inFlight = shoppers.map((s) =>
      stack.api("POST", `/api/v1/orders/${s.orderId}/payments`, {
        token: s.token,
        body: { method: "jsapi" },
      }),
    );
    await new Promise((r) => setTimeout(r, 300)); // let every payment reach WeChat

    const checks = await Promise.all([
      timed(() => fetch(`${stack.h.url}/readyz`).then((r) => r.status)),
      timed(() => stack.api("GET", "/api/v1/products").then((r) => r.status)),
      timed(() => stack.api("GET", "/api/v1/orders", { token: other.token }).then((r) => r.status)),
      timed(() =>
        stack.api("GET", `/api/v1/orders/${other.order.id}`, { token: other.token }).then((r) => r.status),
      ),
    ]);
    for (const c of checks) {
      expect(c.value).toBe(200);
      expect(c.ms).toBeLessThan(1000);
    }

    // A notify arriving meanwhile is applied at once, not after the hang.
    const paidAt = performance.now();
    await stack.sb.pay({ prepay_id: other.prepayId, openid: other.openid, outcome: "SUCCESS" });
    for (;;) {
      const r = await stack.api("GET", `/api/v1/orders/${other.order.id}`, { token: other.token });
      if (r.body.state === "paid") break;
      expect(performance.now() - paidAt).toBeLessThan(1000);
      await new Promise((res) => setTimeout(res, 20));
    }
    expect(performance.now() - started).toBeLessThan(HANG_MS);

    // When WeChat finally answers, the waiting payments complete normally.
    const answers = await Promise.all(inFlight);
    for (const a of answers) expect(a.status).toBe(200);
    const states = await stack.h.ds.query(`SELECT DISTINCT state FROM orders WHERE id = ANY($1)`, [
      shoppers.map((s) => s.orderId),
    ]);
    expect(states).toEqual([{ state: "paying" }]);
  } finally {
    await stack.sb.clearScenarios();
  }
});

it("two concurrent taps on pay end with one prepay and the same wx.requestPayment package", async () => {
  const { token } = await stack.login();
  const o = await stack.order(token, "oolong-tea", 1);
  const taps = await Promise.all(
    [0, 1, 2, 3].map(() =>
      stack.api("POST", `/api/v1/orders/${o.body.id}/payments`, { token, body: { method: "jsapi" } }),
    ),
  );
  for (const t of taps) expect(t.status).toBe(200);
  expect(new Set(taps.map((t) => t.body.params.package)).size).toBe(1);
  const attempts = await stack.h.ds.query(
    `SELECT count(*)::int AS n FROM payment_attempts WHERE order_id = $1`,
    [o.body.id],
  );
  expect(attempts[0].n).toBe(1);
  const moves = await stack.h.ds.query(
    `SELECT count(*)::int AS n FROM order_events WHERE order_id = $1 AND to_state = 'paying'`,
    [o.body.id],
  );
  expect(moves[0].n).toBe(1);
});
