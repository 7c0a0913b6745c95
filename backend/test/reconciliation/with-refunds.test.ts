/**
 * Reconciliation over refunds made through our own refund service (not planted records): the
 * refunds table is what the compare reads, so a day with payments, a partial and a full refund
 * reconciles with every bill line matched; a refund we hold that WeChat's bill lacks is named.
 */
import { shanghaiDate } from "../../src/domain/reconcile";
import { startRefundKit, type RefundKit } from "../refunds/refund-kit";
import { useSandbox, type SandboxMerchantName } from "../helpers/sandbox-stack";
import { NO_MISMATCHES } from "./kit";

const sandbox = useSandbox();

describe.each<SandboxMerchantName>(["v2-hmac", "v3-public-key"])(
  "reconciliation with refunds, %s",
  (name) => {
    let kit: RefundKit;
    beforeAll(async () => {
      kit = await startRefundKit(sandbox, name);
    });
    afterAll(() => kit.close());

    it("payments and their partial and full refunds all match the bill", async () => {
      const a = await kit.paidOrder(2);
      const b = await kit.paidOrder(1);
      expect((await kit.refund(a.id, 1000)).status).toBe(201);
      expect((await kit.refund(b.id, b.totalFen)).status).toBe(201);
      await kit.allFinal();
      const states = await kit.stack.h.ds.query(`SELECT state FROM refunds ORDER BY amount_fen`);
      expect(states.map((r: { state: string }) => r.state)).toEqual(["succeeded", "succeeded"]);

      const run = await kit.admin("POST", "/reconciliations", { date: shanghaiDate(new Date()) });
      expect(run.status).toBe(201);
      expect(run.body).toMatchObject({ status: "completed", billFound: true, counts: NO_MISMATCHES });
      // Two payment lines and two refund lines, each matched to our rows.
      expect(run.body.billRows).toBe(4);
      expect(run.body.matched).toBe(4);
    });

    it("a succeeded refund of ours that the bill lacks is a refund mismatch linked to it", async () => {
      const o = await kit.paidOrder(1);
      expect((await kit.refund(o.id, 500)).status).toBe(201);
      await kit.allFinal();
      const [refund] = await kit.stack.h.ds.query(
        `SELECT id, out_refund_no FROM refunds WHERE order_id = $1`,
        [o.id],
      );
      // Our row says WeChat took a refund that WeChat never heard of (as if stored by mistake).
      await kit.stack.h.ds.query(
        `INSERT INTO refunds (merchant_id, order_id, out_trade_no, out_refund_no, amount_fen, state,
         idempotency_key, request_hash, created_at, updated_at)
       SELECT merchant_id, order_id, out_trade_no, out_refund_no || 'X', 100, 'succeeded',
         idempotency_key || 'X', request_hash, created_at, updated_at FROM refunds WHERE id = $1`,
        [refund.id],
      );
      const run = await kit.admin("POST", "/reconciliations", { date: shanghaiDate(new Date()) });
      expect(run.body.counts).toEqual({ ...NO_MISMATCHES, refund_mismatch: 1 });
      expect(run.body.mismatches).toEqual([
        expect.objectContaining({
          kind: "refund_mismatch",
          detail: "missing_at_wechat",
          orderId: o.id,
          outRefundNo: `${refund.out_refund_no}X`,
        }),
      ]);
    });
  },
);
