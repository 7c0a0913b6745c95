/**
 * The refund service with a scripted WeChat (no sandbox): how each kind of failed create call
 * leaves the refund. An outright refusal fails it and frees the amount (REFUND_REJECTED); a
 * timeout or SYSTEMERROR leaves it processing with the number kept for the status job.
 */
import { AppError } from "../../src/domain/errors";
import { CLI_ACTOR } from "../../src/services/admin/actor";
import { RefundService, type RefundingMerchant } from "../../src/services/refunds";
import { WechatUpstreamError } from "../../src/wechat/errors";
import type { RefundRequest } from "../../src/wechat/types";
import { merchantIdFor, offlineMerchant, startHarness, type Harness } from "../helpers/harness";
import { makeOrder, makeUser } from "../helpers/orders";

let h: Harness;
const seed = offlineMerchant();
const MERCHANT = merchantIdFor(seed.credentials.mchid);
let answer: () => never;
const sent: RefundRequest[] = [];
const merchant: RefundingMerchant = {
  id: MERCHANT,
  appid: seed.credentials.appid,
  mchid: seed.credentials.mchid,
  notifyUrl: (kind) => `http://127.0.0.1:9/notify/wechat/${MERCHANT}/v3/${kind}`,
  gateway: {
    refund: async (req) => {
      sent.push(req);
      answer();
    },
    queryRefund: async () => null,
    queryOrder: async () => null,
  },
};

beforeAll(async () => {
  h = await startHarness({});
});
afterAll(() => h.close());

async function paid() {
  const userId = await makeUser(h.db, MERCHANT, seed.credentials.appid);
  return makeOrder(h.db, { merchantId: MERCHANT, userId, productId: "mooncake", quantity: 1, state: "paid" });
}

const rows = (orderId: string) =>
  h.ds.query(`SELECT state, last_error, out_refund_no FROM refunds WHERE order_id = $1 ORDER BY created_at`, [
    orderId,
  ]);

it("an outright refusal (NOT_ENOUGH) fails the refund, answers REFUND_REJECTED and frees the amount", async () => {
  const svc = new RefundService(h.deps);
  const o = await paid();
  answer = () => {
    throw new WechatUpstreamError("business", "refund", "NOT_ENOUGH", 403);
  };
  const err = await svc
    .create(merchant, o.id, { amountFen: o.totalFen }, "key-refused-1", CLI_ACTOR)
    .catch((e) => e);
  expect(err).toBeInstanceOf(AppError);
  expect([err.code, err.details.wechatCode]).toEqual(["REFUND_REJECTED", "NOT_ENOUGH"]);
  expect(await rows(o.id)).toEqual([expect.objectContaining({ state: "failed", last_error: "NOT_ENOUGH" })]);
  const outbox = await h.ds.query(`SELECT topic FROM outbox WHERE order_id = $1 AND topic LIKE 'refund.%'`, [
    o.id,
  ]);
  expect(outbox).toEqual([{ topic: "refund.failed" }]);
  // The whole amount can be asked for again (a new refund, a new number).
  answer = () => {
    throw new WechatUpstreamError("timeout", "refund");
  };
  const again = await svc.create(merchant, o.id, { amountFen: o.totalFen }, "key-refused-2", CLI_ACTOR);
  expect(again.refund.state).toBe("processing");
  const [, second] = await rows(o.id);
  expect(second.out_refund_no).not.toBe(sent[0]!.outRefundNo);
});

it.each([
  ["a timeout", () => new WechatUpstreamError("timeout", "refund"), "TIMEOUT"],
  ["SYSTEMERROR", () => new WechatUpstreamError("business", "refund", "SYSTEMERROR"), "SYSTEMERROR"],
  ["a 502", () => new WechatUpstreamError("http", "refund", null, 502), "HTTP_502"],
] as const)(
  "%s leaves the refund processing with its number, the amount still reserved",
  async (_n, make, code) => {
    const svc = new RefundService(h.deps);
    const o = await paid();
    answer = () => {
      throw make();
    };
    const r = await svc.create(merchant, o.id, { amountFen: 100 }, `key-unknown-${code}`, CLI_ACTOR);
    expect(r.refund).toMatchObject({ state: "processing", lastError: code });
    expect(sent.at(-1)!.outRefundNo).toBe(r.refund.outRefundNo);
    const over = await svc
      .create(merchant, o.id, { amountFen: o.totalFen - 99 }, `key-over-${code}`, CLI_ACTOR)
      .catch((e) => e);
    expect(over.code).toBe("REFUND_AMOUNT_INVALID");
  },
);
