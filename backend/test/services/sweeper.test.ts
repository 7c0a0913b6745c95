/**
 * The sweeper over the real repositories with a scripted WeChat (only the two calls it may make):
 * lost notifies recovered, expired orders closed at WeChat before locally, "already paid" at close
 * settled as paid, failures logged and retried next pass, each order asked as its own merchant.
 */
import type { SweptMerchant } from "../../src/services/sweeper";
import { Sweeper } from "../../src/services/sweeper";
import type { CloseResult, TradeFacts } from "../../src/wechat/types";
import { merchantIdFor, offlineMerchant, startHarness, type Harness } from "../helpers/harness";
import { makeOrder, makeUser } from "../helpers/orders";

const seed = offlineMerchant();
const id = merchantIdFor(seed.credentials.mchid);
let h: Harness;
let userId: string;
let clock = Date.now();
beforeAll(async () => {
  h = await startHarness({ now: () => new Date(clock) });
  userId = await makeUser(h.db, id, seed.credentials.appid);
});
afterAll(() => h.close());

/** A WeChat that answers from a script and records what it was asked. */
function scriptedWechat(answer: {
  query?: (no: string) => TradeFacts | null | Error;
  close?: (no: string) => CloseResult | Error;
}) {
  const calls: string[] = [];
  const m: SweptMerchant = {
    id,
    appid: seed.credentials.appid,
    mchid: seed.credentials.mchid,
    gateway: {
      queryOrder: async (no) => {
        calls.push(`query ${no}`);
        const a = answer.query?.(no) ?? null;
        if (a instanceof Error) throw a;
        return a;
      },
      closeOrder: async (no) => {
        calls.push(`close ${no}`);
        const a = answer.close?.(no) ?? "closed";
        if (a instanceof Error) throw a;
        return a;
      },
    },
  };
  return { m, calls };
}

const paid = (no: string, totalFen: number): TradeFacts => ({
  appid: seed.credentials.appid,
  mchid: seed.credentials.mchid,
  outTradeNo: no,
  transactionId: `4200${no}`,
  tradeState: "SUCCESS",
  totalFen,
  currency: "CNY",
  payerOpenid: null,
  successTime: new Date(clock),
  tradeStateDesc: null,
});
/** A paying order made at the test clock's now. */
const paying = (productId: string, quantity: number) =>
  makeOrder(h.db, { merchantId: id, userId, productId, quantity, state: "paying", now: new Date(clock) });
const stateOf = async (orderId: string): Promise<string> =>
  (await h.ds.query(`SELECT state FROM orders WHERE id = $1`, [orderId]))[0].state;

beforeEach(async () => {
  // Each test starts with no open orders from earlier ones.
  await h.ds.query(`UPDATE orders SET state = 'closed' WHERE state IN ('created','paying')`);
});

it("a paying order is left alone for a minute, then asked about and settled as paid", async () => {
  const o = await paying("oolong-tea", 1);
  const w = scriptedWechat({ query: (no) => paid(no, 6800) });
  const sweeper = new Sweeper(h.deps, async () => w.m);
  expect(await sweeper.runOnce()).toEqual({ queried: 0, expired: 0 });
  clock += 61_000;
  expect(await sweeper.runOnce()).toEqual({ queried: 1, expired: 0 });
  expect(w.calls).toEqual([`query ${o.outTradeNo}`]);
  expect(await stateOf(o.id)).toBe("paid");
});

it("an expired paying order is closed at WeChat first, then expired with its stock returned", async () => {
  const before = (await h.ds.query(`SELECT stock FROM products WHERE id = 'mooncake'`))[0].stock;
  const o = await paying("mooncake", 2);
  clock += 31 * 60_000;
  const w = scriptedWechat({ query: () => null });
  await new Sweeper(h.deps, async () => w.m).runOnce();
  expect(w.calls).toContain(`close ${o.outTradeNo}`);
  expect(await stateOf(o.id)).toBe("expired");
  expect((await h.ds.query(`SELECT stock FROM products WHERE id = 'mooncake'`))[0].stock).toBe(before);
});

it("close answering 'already paid' settles the order as paid instead of expiring it", async () => {
  const o = await paying("oolong-tea", 1);
  clock += 31 * 60_000;
  const w = scriptedWechat({ close: () => "already_paid", query: (no) => paid(no, 6800) });
  await new Sweeper(h.deps, async () => w.m).runOnce();
  expect(await stateOf(o.id)).toBe("paid");
});

it("a failing close or query is logged and retried on the next pass; nothing changes meanwhile", async () => {
  const o = await paying("oolong-tea", 1);
  clock += 31 * 60_000;
  const down = scriptedWechat({
    close: () => new Error("WeChat down"),
    query: () => new Error("WeChat down"),
  });
  await new Sweeper(h.deps, async () => down.m).runOnce();
  expect(await stateOf(o.id)).toBe("paying");
  expect(h.logs.join("")).toContain("close at WeChat failed");
  const up = scriptedWechat({});
  await new Sweeper(h.deps, async () => up.m).runOnce();
  expect(await stateOf(o.id)).toBe("expired");
});

it("an order whose merchant has no credentials is skipped and logged, not expired blindly", async () => {
  const o = await paying("oolong-tea", 1);
  clock += 31 * 60_000;
  await new Sweeper(h.deps, async () => null).runOnce();
  expect(await stateOf(o.id)).toBe("paying");
  expect(h.logs.join("")).toContain("merchant with no credentials");
});
