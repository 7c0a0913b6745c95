/**
 * Verify with a scripted WeChat: facts that move the order go through settle (a locked
 * transaction); facts that cannot change the order (NOTPAY) or only confirm what a paid order
 * records (same transaction, same amount) are answered without one; another transaction or amount
 * on a paid order still reaches settle and is flagged.
 */
import crypto from "node:crypto";
import type { Db } from "../../src/db/repositories";
import { OrderService } from "../../src/services/orders";
import { PaymentService, type PayingMerchant } from "../../src/services/payments";
import { RateLimiter } from "../../src/services/rate-limit";
import type { PaymentGateway, TradeFacts } from "../../src/wechat/types";
import { merchantIdFor, offlineMerchant, startHarness, type Harness } from "../helpers/harness";
import { makeOrder, makeUser } from "../helpers/orders";

const seed = offlineMerchant();
const merchantId = merchantIdFor(seed.credentials.mchid);
let h: Harness;
let userId: string;

beforeAll(async () => {
  h = await startHarness({ merchants: [seed] });
  userId = await makeUser(h.db, merchantId, seed.credentials.appid);
});
afterAll(() => h.close());

/** The real Db, counting transactions (settle takes one; the shortcut none). */
function countingDb(): { db: Db; transactions: () => number } {
  let n = 0;
  const db: Db = {
    repos: h.db.repos,
    ping: () => h.db.ping(),
    transaction: (fn) => {
      n++;
      return h.db.transaction(fn);
    },
  };
  return { db, transactions: () => n };
}

function setUp(answer: (outTradeNo: string) => TradeFacts) {
  const counted = countingDb();
  const deps = { ...h.deps, db: counted.db };
  const limits = {
    perUser: { bucket: "order-user", limit: 1000, windowSeconds: 60 },
    maxOpen: 100,
    maxQuantityPerProduct: 100,
  };
  const orders = new OrderService(deps, 30, limits, new RateLimiter(deps, crypto.randomBytes(32)));
  const payments = new PaymentService(deps, orders);
  const m: PayingMerchant = {
    id: merchantId,
    appid: seed.credentials.appid,
    mchid: seed.credentials.mchid,
    gateway: { queryOrder: async (no: string) => answer(no) } as unknown as PaymentGateway,
    notifyUrl: () => "https://example.com/notify",
  };
  return { payments, orders, m, transactions: counted.transactions };
}

const success = (no: string, totalFen: number, transactionId: string): TradeFacts => ({
  appid: seed.credentials.appid,
  mchid: seed.credentials.mchid,
  outTradeNo: no,
  transactionId,
  tradeState: "SUCCESS",
  totalFen,
  currency: "CNY",
  payerOpenid: null,
  successTime: new Date(),
  tradeStateDesc: null,
});
const anomalies = async (orderId: string): Promise<string[]> =>
  (await h.ds.query(`SELECT kind FROM anomalies WHERE order_id = $1 ORDER BY id`, [orderId])).map(
    (r: { kind: string }) => r.kind,
  );

const payingOrder = () =>
  makeOrder(h.db, { merchantId, userId, productId: "oolong-tea", quantity: 1, state: "paying" });
const newTransactionId = () => `4200${crypto.randomBytes(6).toString("hex")}`;

it("paying → paid through settle; a second verify confirms it without a transaction and answers the same", async () => {
  const o = await payingOrder();
  const tx = newTransactionId();
  const s = setUp((no) => success(no, o.totalFen, tx));
  const first = await s.payments.verify(s.m, userId, o.id);
  expect(first.state).toBe("paid");
  expect(first.transactionId).toBe(tx);
  expect(s.transactions()).toBe(1);
  const again = await s.payments.verify(s.m, userId, o.id);
  expect(s.transactions()).toBe(1); // nothing locked, nothing written
  expect(again).toEqual(await s.orders.get(merchantId, userId, o.id));
  expect(await anomalies(o.id)).toEqual([]);
});

it("a paid order that WeChat reports under another transaction still goes to settle: duplicate payment flagged", async () => {
  const o = await payingOrder();
  let tx = newTransactionId();
  const s = setUp((no) => success(no, o.totalFen, tx));
  await s.payments.verify(s.m, userId, o.id);
  tx = newTransactionId();
  const after = await s.payments.verify(s.m, userId, o.id);
  expect(s.transactions()).toBe(2);
  expect(after.state).toBe("paid");
  expect(await anomalies(o.id)).toEqual(["duplicate_payment"]);
});

it("the same transaction with another amount is not a confirmation: it goes to settle and is flagged", async () => {
  const o = await payingOrder();
  const tx = newTransactionId();
  let amount = o.totalFen;
  const s = setUp((no) => success(no, amount, tx));
  await s.payments.verify(s.m, userId, o.id);
  amount = o.totalFen + 1;
  await s.payments.verify(s.m, userId, o.id);
  expect(s.transactions()).toBe(2);
  expect(await anomalies(o.id)).toEqual(["amount_mismatch"]);
});

it("NOTPAY (back from the cashier before paying) changes nothing and takes no transaction", async () => {
  const o = await payingOrder();
  const s = setUp((no) => ({
    ...success(no, o.totalFen, "x"),
    tradeState: "NOTPAY",
    transactionId: null,
    totalFen: null,
  }));
  const v = await s.payments.verify(s.m, userId, o.id);
  expect(v.state).toBe("paying");
  expect(s.transactions()).toBe(0);
  expect(await anomalies(o.id)).toEqual([]);
});
