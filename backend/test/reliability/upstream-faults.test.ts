/**
 * G10 and G12 (docs/reliability.md E3): WeChat failing 30 % of each kind of call, from sandbox
 * scenarios (both v2 and v3 at full size; v3 only inside `npm test`): prepay answers SYSTEMERROR or holds past our timeout, the notify is lost and the first
 * order query fails, the refund answers SYSTEMERROR or times out (and is made anyway). The shopper's
 * client retries a failed pay request; only the payment-check and refund-status jobs ask WeChat
 * again. In the end every order is paid and fully refunded, each exactly once at WeChat.
 */
import { wechatAdapters } from "../../src/boot";
import { createGateway } from "../../src/wechat/gateway-factory";
import { startRefundKit, type RefundKit } from "../refunds/refund-kit";
import { eventually, idemKey, useSandbox, type SandboxMerchantName } from "../helpers/sandbox-stack";
import { Capture, FULL, pool, record, sandboxSecrets, scanAndRecord, size } from "./kit";

const N = size(10, 60);
const TIMEOUT_MS = 800;
const sandbox = useSandbox();
/** 3 in every 10: which orders meet a fault at each kind of call (shifted so kinds mix). */
const faulty = (i: number, shift: number) => (i + shift) % 10 < 3;

const NAMES: SandboxMerchantName[] = FULL ? ["v2-hmac", "v3-public-key"] : ["v3-public-key"];
const kits = new Map<SandboxMerchantName, RefundKit>();
// Inside a describe so these hooks run before useSandbox's file-level afterAll closes the sandbox.
describe("WeChat failing 30 % of calls", () => {
  beforeAll(async () => {
    for (const name of NAMES)
      kits.set(
        name,
        await startRefundKit(sandbox, name, {
          adapters: {
            gateway: (s) => createGateway(s.credentials, { timeoutMs: TIMEOUT_MS, retries: 0 }),
            auth: wechatAdapters(3000).auth,
          },
        }),
      );
  });
  afterAll(async () => {
    await sandbox.control.clearScenarios();
    for (const kit of kits.values()) await kit.close();
  });

  it(`${N} orders per merchant (${NAMES.join(", ")}) paid and refunded through prepay, query and refund faults`, async () => {
    const results = await Promise.all(NAMES.map(run));
    for (const r of results) {
      expect(r.wrong).toBe(0);
      expect(r.hits).toEqual([]);
    }
  }, 600_000);
});

/**
 * One merchant's run; the merchants run side by side (each has its own stack and database, and
 * every scenario matches one order), which halves the wall time without changing what each proves.
 */
async function run(name: SandboxMerchantName): Promise<{ wrong: number; hits: string[] }> {
  const kit = kits.get(name)!;
  const { stack } = kit;
  const capture = new Capture();
  sandboxSecrets(sandbox, capture);
  const shopper = await stack.login();
  capture.openids.add(shopper.openid);
  const api = stack.client(shopper.token);
  let injected = 0;
  let payRetries = 0;
  const t0 = Date.now();
  const orders = await pool(
    Array.from({ length: N }, (_, i) => i),
    12,
    async (i) => {
      const order = await api.createOrder({ items: [{ productId: "oolong-tea", quantity: 1 }] }, idemKey());
      const match = { out_trade_no: order.outTradeNo };
      if (faulty(i, 0)) {
        injected++;
        await stack.sb.scenario(
          i % 2
            ? { match, action: "prepay_error", mode: "SYSTEMERROR", times: 1 }
            : { match, action: "prepay_error", mode: "timeout", ms: TIMEOUT_MS + 700, times: 1 },
        );
      }
      if (faulty(i, 3)) {
        injected += 2;
        await stack.sb.addScenarios([
          { match, action: "drop_notify" },
          { match, action: "query_error", mode: i % 2 ? "SYSTEMERROR" : "http_500", times: 1 },
        ]);
      }
      let prepayId = "";
      for (let attempt = 0; !prepayId && attempt < 5; attempt++) {
        try {
          const pay = await api.createPayment(order.id, "jsapi");
          if (pay.method === "jsapi") prepayId = pay.params.package.slice("prepay_id=".length);
        } catch {
          payRetries++; // the shopper taps "pay" again
        }
      }
      await stack.sb.pay({ prepay_id: prepayId, openid: shopper.openid, outcome: "SUCCESS" });
      return order;
    },
  );
  await eventually(async () => {
    const [r] = await stack.h.ds.query(`SELECT count(*)::int AS n FROM orders WHERE state = 'paid'`);
    return r.n === N;
  }, 120_000);

  let refundRetries = 0;
  await pool(orders, 12, async (o, i) => {
    const match = { out_trade_no: o.outTradeNo };
    if (faulty(i, 6)) {
      injected++;
      await stack.sb.scenario(
        i % 2
          ? { match, action: "refund_error", mode: "SYSTEMERROR", times: 1 }
          : { match, action: "refund_error", mode: "timeout", ms: TIMEOUT_MS + 700, times: 1 },
      );
    }
    const key = idemKey();
    let r = await kit.refund(o.id, o.totalFen, { key });
    for (let attempt = 0; r.status >= 500 && attempt < 5; attempt++) {
      refundRetries++;
      r = await kit.refund(o.id, o.totalFen, { key }); // the same request again: same refund
    }
    capture.add(JSON.stringify(r.body));
  });
  await kit.allFinal(120_000);
  const seconds = (Date.now() - t0) / 1000;

  const refunds: { order_id: string; state: string; fen: number }[] = await stack.h.ds.query(
    `SELECT order_id, state, amount_fen::int AS fen FROM refunds`,
  );
  const states: { state: string; n: number }[] = await stack.h.ds.query(
    `SELECT state, count(*)::int AS n FROM orders GROUP BY state`,
  );
  let wrong = 0;
  for (const o of orders) {
    const ours = refunds.filter((r) => r.order_id === o.id);
    const theirs = kit.wechatRefunds(o.outTradeNo);
    const ok =
      ours.length === 1 &&
      ours[0]!.state === "succeeded" &&
      ours[0]!.fen === o.totalFen &&
      theirs.length === 1 &&
      theirs[0]!.refundFen === o.totalFen &&
      theirs[0]!.status === "SUCCESS";
    if (!ok) wrong++;
  }
  const open = states.filter((s) => ["created", "paying"].includes(s.state)).reduce((a, s) => a + s.n, 0);
  wrong += open;
  record({
    goal: "G10/G12",
    check: `WeChat faults on 30 % of calls (${name})`,
    tried: "orders paid then fully refunded, with prepay, query and refund faults",
    count: N,
    wrong,
    detail: `faults injected=${injected} pay retries=${payRetries} refund retries=${refundRetries}; orders ${states
      .map((s) => `${s.state}=${s.n}`)
      .join(
        " ",
      )}; refunds ${refunds.length} (succeeded ${refunds.filter((r) => r.state === "succeeded").length}); ${seconds.toFixed(1)} s`,
  });
  return { wrong, hits: scanAndRecord(`upstream faults ${name}`, capture, stack.h.logs) };
}
