/**
 * Concurrent refunds of one order: ten partial refunds at once that together ask for more than was
 * paid. The order row is locked while each one is checked and reserved, so only those that fit are
 * taken, the others are refused with REFUND_AMOUNT_INVALID, and WeChat never sees more than paid.
 * Also: a v2 merchant without its API client certificate is refused clearly, and sends nothing.
 */
import { createGateway } from "../../src/wechat/gateway-factory";
import { wechatAdapters } from "../../src/boot";
import { eventually, useSandbox, type SandboxMerchantName } from "../helpers/sandbox-stack";
import { startRefundKit, type RefundKit } from "./refund-kit";

const sandbox = useSandbox();

describe.each<SandboxMerchantName>(["v2-hmac", "v3-public-key"])("concurrent refunds: %s", (name) => {
  let kit: RefundKit;
  beforeAll(async () => {
    kit = await startRefundKit(sandbox, name);
  });
  afterAll(() => kit?.close());

  it("10 at once asking for more than was paid: only those that fit succeed, the sum ≤ paid", async () => {
    const o = await kit.paidOrder(1); // 6800 fen
    const amount = 1500; // 10 × 1500 = 15000 > 6800: at most 4 fit
    const answers = await Promise.all(Array.from({ length: 10 }, () => kit.refund(o.id, amount)));
    const taken = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status !== 201);
    expect(taken).toHaveLength(Math.floor(o.totalFen / amount));
    for (const r of refused) expect([r.status, r.body.error.code]).toEqual([400, "REFUND_AMOUNT_INVALID"]);
    await kit.allFinal();
    const rows = await kit.stack.h.ds.query(
      `SELECT state, amount_fen::int AS fen FROM refunds WHERE order_id = $1`,
      [o.id],
    );
    expect(rows).toHaveLength(taken.length);
    expect(rows.every((r: any) => r.state === "succeeded")).toBe(true);
    const wechat = kit.wechatRefunds(o.outTradeNo);
    expect(wechat).toHaveLength(taken.length);
    const sum = wechat.reduce((s, w) => s + w.refundFen, 0);
    expect(sum).toBeLessThanOrEqual(o.totalFen);
    const [order] = await kit.stack.h.ds.query(
      `SELECT state, refunded_fen::int AS refunded FROM orders WHERE id = $1`,
      [o.id],
    );
    expect(order).toEqual({ state: "partially_refunded", refunded: sum });
    // The rest still fits exactly once.
    const rest = await kit.refund(o.id, o.totalFen - sum);
    expect(rest.status).toBe(201);
    await eventually(async () => {
      const [x] = await kit.stack.h.ds.query(`SELECT state FROM orders WHERE id = $1`, [o.id]);
      return x.state === "refunded";
    }, 20_000);
  });
});

describe("a v2 merchant without its API client certificate", () => {
  let kit: RefundKit;
  beforeAll(async () => {
    const real = wechatAdapters(3000);
    kit = await startRefundKit(sandbox, "v2-hmac", {
      adapters: {
        // The merchant as configured without WECHAT_CLIENT_CERT_FILE / _KEY_FILE.
        gateway: (s) =>
          createGateway(
            {
              ...s.credentials,
              v2: { ...s.credentials.v2!, clientCertPem: undefined, clientKeyPem: undefined },
            },
            { timeoutMs: 3000 },
          ),
        auth: real.auth,
      },
    });
  });
  afterAll(() => kit?.close());

  it("is refused with REFUND_CERT_MISSING; the refund is failed, its amount free again; WeChat saw nothing", async () => {
    const o = await kit.paidOrder();
    const r = await kit.refund(o.id, 100);
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("REFUND_CERT_MISSING");
    const [row] = await kit.stack.h.ds.query(`SELECT state, last_error FROM refunds WHERE order_id = $1`, [
      o.id,
    ]);
    expect(row).toEqual({ state: "failed", last_error: "REFUND_CERT_MISSING" });
    expect(kit.wechatRefunds(o.outTradeNo)).toHaveLength(0);
    const [order] = await kit.stack.h.ds.query(
      `SELECT state, refunded_fen::int AS r FROM orders WHERE id = $1`,
      [o.id],
    );
    expect(order).toEqual({ state: "paid", r: 0 });
    const detail = await kit.admin("GET", `/orders/${o.id}`);
    expect(detail.body.refunds).toEqual([
      expect.objectContaining({ amountFen: 100, state: "failed", lastError: "REFUND_CERT_MISSING" }),
    ]);
    // Nothing secret in the answer.
    expect(JSON.stringify(r.body)).not.toMatch(/BEGIN|PRIVATE|CERTIFICATE/);
  });
});
