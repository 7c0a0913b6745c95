/**
 * Refunds while WeChat misbehaves: REFUND_COUNT refunds, 30 % of the refund requests time out (the
 * sandbox holds them past our timeout, then creates the refund anyway) and 10 % answer SYSTEMERROR.
 * Four refunds of 20.00 are asked at once on each 68.00 order, so one per order must be refused.
 * Every refund ends final, WeChat holds exactly one refund per out_refund_no we made (none twice,
 * none we do not know), and no order has more refunded than paid. The gateway retries nothing
 * itself here (retries: 0): only the refund-status job may ask again.
 */
import { wechatAdapters } from "../../src/boot";
import { createGateway } from "../../src/wechat/gateway-factory";
import { useSandbox, type SandboxMerchantName } from "../helpers/sandbox-stack";
import { startRefundKit, type RefundKit } from "./refund-kit";

/**
 * How many refunds are made: 60 by default, which keeps this suite within its time on a shared CI
 * machine; REFUND_FAULT_COUNT=201 runs about the full count (a multiple of 3).
 */
export const REFUND_COUNT = Number(process.env.REFUND_FAULT_COUNT ?? 60);
const PER_ORDER = 3;
const AMOUNT = 2000;
const TIMEOUT_MS = 800;

const sandbox = useSandbox();

describe.each<SandboxMerchantName>(["v2-hmac", "v3-public-key"])("refunds under faults: %s", (name) => {
  let kit: RefundKit;
  beforeAll(async () => {
    kit = await startRefundKit(sandbox, name, {
      adapters: {
        gateway: (s) => createGateway(s.credentials, { timeoutMs: TIMEOUT_MS, retries: 0 }),
        auth: wechatAdapters(3000).auth,
      },
    });
  });
  afterAll(async () => {
    await kit?.stack.sb.clearScenarios();
    await kit?.close();
  });

  it(`${REFUND_COUNT} refunds, 30 % timeouts and 10 % SYSTEMERROR: all final, none twice, none over paid`, async () => {
    const orders: Awaited<ReturnType<RefundKit["paidOrder"]>>[] = [];
    for (let i = 0; i < REFUND_COUNT / PER_ORDER; i++) orders.push(await kit.paidOrder());
    let n = 0;
    let refused = 0;
    const refundOrder = async (o: (typeof orders)[number]) => {
      // This order's share of faults, by the index of each of its refunds among all of them.
      const idx = Array.from({ length: PER_ORDER }, () => n++);
      const timeouts = idx.filter((i) => i % 10 < 3).length;
      const errors = idx.filter((i) => i % 10 === 3).length;
      const match = { out_trade_no: o.outTradeNo };
      if (timeouts)
        await kit.stack.sb.scenario({
          match,
          action: "refund_error",
          mode: "timeout",
          ms: TIMEOUT_MS + 700,
          times: timeouts,
        });
      if (errors)
        await kit.stack.sb.scenario({ match, action: "refund_error", mode: "SYSTEMERROR", times: errors });
      const answers = await Promise.all(
        Array.from({ length: PER_ORDER + 1 }, () => kit.refund(o.id, AMOUNT)),
      );
      for (const a of answers)
        if (a.status !== 201) {
          expect([a.status, a.body.error.code]).toEqual([400, "REFUND_AMOUNT_INVALID"]);
          refused++;
        }
    };
    // A few orders at a time, like a merchant's back office would.
    for (let i = 0; i < orders.length; i += 5) await Promise.all(orders.slice(i, i + 5).map(refundOrder));
    expect(refused).toBe(orders.length);

    await kit.allFinal(120_000);
    const rows: {
      order_id: string;
      out_refund_no: string;
      state: string;
      fen: number;
      last_error: string | null;
    }[] = await kit.stack.h.ds.query(
      `SELECT order_id, out_refund_no, state, amount_fen::int AS fen, last_error FROM refunds`,
    );
    expect(rows).toHaveLength(REFUND_COUNT);
    const states = rows.reduce<Record<string, number>>(
      (m, r) => ({ ...m, [r.state]: (m[r.state] ?? 0) + 1 }),
      {},
    );
    const errs = rows.reduce<Record<string, number>>(
      (m, r) => (r.last_error ? { ...m, [r.last_error]: (m[r.last_error] ?? 0) + 1 } : m),
      {},
    );
    // The counts this run saw, for the record.
    console.log(
      `${name}: ${REFUND_COUNT} refunds, states ${JSON.stringify(states)}, errors met ${JSON.stringify(errs)}`,
    );
    expect(states).toEqual({ succeeded: REFUND_COUNT });
    expect(errs.TIMEOUT ?? 0).toBeGreaterThan(0);
    expect((errs.SYSTEMERROR ?? 0) + (errs.SYSTEM_ERROR ?? 0) + (errs.HTTP_500 ?? 0)).toBeGreaterThan(0);

    let wechatTotal = 0;
    for (const o of orders) {
      const wechat = kit.wechatRefunds(o.outTradeNo);
      const ours = rows.filter((r) => r.order_id === o.id);
      // One WeChat refund per out_refund_no of ours, and nothing else.
      expect(wechat.map((w) => w.outRefundNo).sort()).toEqual(ours.map((r) => r.out_refund_no).sort());
      expect(new Set(wechat.map((w) => w.outRefundNo)).size).toBe(wechat.length);
      const sum = wechat.reduce((s, w) => s + w.refundFen, 0);
      expect(sum).toBeLessThanOrEqual(o.totalFen);
      wechatTotal += wechat.length;
      const [order] = await kit.stack.h.ds.query(
        `SELECT state, refunded_fen::int AS r FROM orders WHERE id = $1`,
        [o.id],
      );
      expect(order).toEqual({ state: "partially_refunded", r: PER_ORDER * AMOUNT });
    }
    expect(wechatTotal).toBe(REFUND_COUNT);
    const outbox = await kit.stack.h.ds.query(
      `SELECT count(*)::int AS n FROM outbox WHERE topic = 'refund.succeeded'`,
    );
    expect(outbox[0].n).toBe(REFUND_COUNT);
  }, 240_000);
});
