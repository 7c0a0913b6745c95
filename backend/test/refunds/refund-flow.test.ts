/**
 * Refunds through the admin API against the sandbox, for a v2 (mutual TLS) and a v3 merchant:
 * partial, several per order, then full; the order's state and refunded total; what WeChat holds;
 * the Idempotency-Key; the audit row; the refunds in both order details; the list and its filters.
 */
import {
  eventually,
  idemKey,
  payingOrder,
  useSandbox,
  type SandboxMerchantName,
} from "../helpers/sandbox-stack";
import { startRefundKit, type RefundKit } from "./refund-kit";

const sandbox = useSandbox();

describe.each<SandboxMerchantName>(["v2-hmac", "v3-public-key"])("refunds: %s", (name) => {
  let kit: RefundKit;
  beforeAll(async () => {
    kit = await startRefundKit(sandbox, name);
  });
  afterAll(() => kit?.close());

  const refundState = async (id: string) =>
    (await kit.stack.h.ds.query(`SELECT state FROM refunds WHERE id = $1`, [id]))[0].state;
  const order = async (id: string) =>
    (
      await kit.stack.h.ds.query(`SELECT state, refunded_fen::int AS refunded FROM orders WHERE id = $1`, [
        id,
      ])
    )[0];

  it("partial, partial, then the rest: partially_refunded, then refunded; WeChat holds exactly these", async () => {
    const o = await kit.paidOrder(2); // 136.00
    const amounts = [1000, 2600, o.totalFen - 3600];
    const ids: string[] = [];
    for (const [i, amount] of amounts.entries()) {
      const r = await kit.refund(o.id, amount, { reason: `part ${i + 1}` });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ orderId: o.id, amountFen: amount, outTradeNo: o.outTradeNo });
      expect(["processing", "succeeded"]).toContain(r.body.state);
      expect(r.body.outRefundNo).toMatch(/^RF\d{8}[0-9A-Za-z]{20}$/);
      ids.push(r.body.id);
      await eventually(async () => (await refundState(r.body.id)) === "succeeded", 20_000);
      expect(await order(o.id)).toEqual({
        state: i < 2 ? "partially_refunded" : "refunded",
        refunded: amounts.slice(0, i + 1).reduce((s, a) => s + a, 0),
      });
    }
    const wechat = kit.wechatRefunds(o.outTradeNo);
    expect(wechat.map((w) => w.refundFen).sort()).toEqual([...amounts].sort());
    const numbers = (
      await kit.stack.h.ds.query(`SELECT out_refund_no FROM refunds WHERE order_id = $1`, [o.id])
    ).map((x: any) => x.out_refund_no);
    expect(wechat.map((w) => w.outRefundNo).sort()).toEqual(numbers.sort());

    // Nothing is left to refund.
    const more = await kit.refund(o.id, 1);
    expect([more.status, more.body.error.code]).toEqual([409, "REFUND_NOT_ALLOWED"]);
    // One outbox row per refund, one audit row per create.
    const outbox = await kit.stack.h.ds.query(
      `SELECT count(*)::int AS n FROM outbox WHERE order_id = $1 AND topic = 'refund.succeeded'`,
      [o.id],
    );
    expect(outbox[0].n).toBe(3);
    const audit = await kit.stack.h.ds.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'refund.create' AND target_id = ANY($1)`,
      [ids],
    );
    expect(audit[0].n).toBe(3);

    // The shopper's order detail shows the refunds: amount, state, time; nothing internal.
    const mine = await kit.stack.api("GET", `/api/v1/orders/${o.id}`, { token: o.token });
    expect(mine.status).toBe(200);
    expect(mine.body.refunds).toHaveLength(3);
    expect(mine.body.refunds[0]).toEqual({
      amountFen: 1000,
      state: "succeeded",
      createdAt: expect.any(String),
      succeededAt: expect.any(String),
    });
    // The typed client accepts the answer (its schema includes refunds).
    const typed = await kit.stack.client(o.token).order(o.id);
    expect(typed.refunds?.map((x) => x.amountFen)).toEqual(amounts);
    // The admin detail lists them with WeChat's ids.
    const detail = await kit.admin("GET", `/orders/${o.id}`);
    expect(detail.body.refunds.map((x: any) => [x.amountFen, x.state])).toEqual(
      amounts.map((a) => [a, "succeeded"]),
    );
    expect(detail.body.refunds[0].refundId).toMatch(/^\d+$/);
  });

  it("the Idempotency-Key: same request → the same refund; another request → 409; none → 400", async () => {
    const o = await kit.paidOrder();
    const key = idemKey();
    const first = await kit.refund(o.id, 500, { key });
    expect(first.status).toBe(201);
    const again = await kit.refund(o.id, 500, { key });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const other = await kit.refund(o.id, 501, { key });
    expect([other.status, other.body.error.code]).toEqual([409, "IDEMPOTENCY_KEY_REUSED"]);
    const none = await kit.stack.api("POST", `/admin/v1/orders/${o.id}/refunds`, {
      body: { amountFen: 1 },
      headers: { authorization: `Bearer ${kit.key}` },
    });
    expect([none.status, none.body.error.code]).toEqual([400, "IDEMPOTENCY_KEY_REQUIRED"]);
    await eventually(async () => (await refundState(first.body.id)) === "succeeded", 20_000);
    expect(kit.wechatRefunds(o.outTradeNo)).toHaveLength(1);
    const [n] = await kit.stack.h.ds.query(`SELECT count(*)::int AS n FROM refunds WHERE order_id = $1`, [
      o.id,
    ]);
    expect(n.n).toBe(1);
  });

  it("refuses what cannot be refunded with stable codes, and changes nothing", async () => {
    const o = await kit.paidOrder();
    const over = await kit.refund(o.id, o.totalFen + 1);
    expect([over.status, over.body.error.code]).toEqual([400, "REFUND_AMOUNT_INVALID"]);
    const zero = await kit.refund(o.id, 0);
    expect([zero.status, zero.body.error.code]).toEqual([400, "VALIDATION_FAILED"]);
    const unknown = await kit.refund("00000000-0000-4000-8000-000000000000", 1);
    expect([unknown.status, unknown.body.error.code]).toEqual([404, "RESOURCE_NOT_FOUND"]);
    // An order not yet paid.
    const { order: unpaid } = await payingOrder(kit.stack);
    const early = await kit.refund(unpaid.id, 1);
    expect([early.status, early.body.error.code]).toEqual([409, "REFUND_NOT_ALLOWED"]);
    const [n] = await kit.stack.h.ds.query(
      `SELECT count(*)::int AS n FROM refunds WHERE order_id = ANY($1)`,
      [[o.id, unpaid.id]],
    );
    expect(n.n).toBe(0);
    expect(kit.wechatRefunds(o.outTradeNo)).toHaveLength(0);
  });

  it("lists refunds newest first in keyset pages, filtered by state and order; one by id", async () => {
    const o = await kit.paidOrder();
    const made: string[] = [];
    for (const a of [100, 200, 300]) made.push((await kit.refund(o.id, a)).body.id);
    await eventually(async () => {
      const r = await kit.admin("GET", `/refunds?orderId=${o.id}&state=succeeded`);
      return r.body.refunds.length === 3;
    }, 20_000);
    const page1 = await kit.admin("GET", `/refunds?orderId=${o.id}&limit=2`);
    expect(page1.status).toBe(200);
    expect(page1.body.refunds.map((x: any) => x.id)).toEqual([made[2], made[1]]);
    const page2 = await kit.admin("GET", `/refunds?orderId=${o.id}&limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body.refunds.map((x: any) => x.id)).toEqual([made[0]]);
    expect(page2.body.nextCursor).toBeNull();
    const failed = await kit.admin("GET", `/refunds?orderId=${o.id}&state=failed`);
    expect(failed.body.refunds).toEqual([]);
    const one = await kit.admin("GET", `/refunds/${made[0]}`);
    expect(one.body).toMatchObject({ id: made[0], amountFen: 100, state: "succeeded" });
    const bad = await kit.admin("GET", `/refunds?cursor=nonsense`);
    expect([bad.status, bad.body.error.code]).toEqual([400, "VALIDATION_FAILED"]);
    const missing = await kit.admin("GET", `/refunds/not-a-uuid`);
    expect([missing.status, missing.body.error.code]).toEqual([404, "RESOURCE_NOT_FOUND"]);
  });
});
