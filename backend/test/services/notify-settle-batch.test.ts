/**
 * The batched notify settle (db/repositories/notify-settle.ts) over a real database: concurrent
 * notifies share statements yet each order moves once with its own event, outbox and log rows; a
 * notify that breaks its batch fails alone; remembered duplicates are answered without the settle
 * statement and still logged; the memory never answers for other facts.
 */
import crypto from "node:crypto";
import type { EntityManager } from "typeorm";
import { NotifySettleRepo, type NotifySettleInput } from "../../src/db/repositories/notify-settle";
import { ALREADY_PAID_IN, PAID_CLEANLY_FROM } from "../../src/domain/settle-shortcuts";
import { merchantIdFor, offlineMerchant, startHarness, type Harness } from "../helpers/harness";
import { makeUser } from "../helpers/orders";

const seed = offlineMerchant();
const merchantId = merchantIdFor(seed.credentials.mchid);
let h: Harness;
let userId: string;
beforeAll(async () => {
  h = await startHarness({});
  userId = await makeUser(h.db, merchantId, seed.credentials.appid);
});
afterAll(() => h.close());

/** A repository on the DataSource's manager that counts the settle statements it sends. */
function counted(): { repo: NotifySettleRepo; statements: () => number; sizes: number[] } {
  let n = 0;
  const sizes: number[] = [];
  const m = h.ds.manager;
  const spy = Object.create(m) as EntityManager;
  spy.query = ((sql: string, params?: unknown[]) => {
    if (sql.includes("settle_notify_paid_batch")) {
      n++;
      sizes.push((params![1] as string[]).length);
    }
    return m.query(sql, params);
  }) as EntityManager["query"];
  return { repo: new NotifySettleRepo(spy), statements: () => n, sizes };
}

async function paying(count: number): Promise<string[]> {
  const rows: { out_trade_no: string }[] = await h.ds.query(
    `INSERT INTO orders (user_id, merchant_id, out_trade_no, state, total_fen, description, idempotency_key,
       request_hash, expires_at)
     SELECT $1, $2, 'MB' || $3 || lpad(g::text, 4, '0'), 'paying', 100, 'tea', $3 || g, 'h',
       now() + interval '30 minutes' FROM generate_series(1, $4) g RETURNING out_trade_no`,
    [userId, merchantId, crypto.randomBytes(5).toString("hex").toUpperCase(), count],
  );
  return rows.map((r) => r.out_trade_no);
}

const input = (outTradeNo: string, over: Partial<NotifySettleInput> = {}): NotifySettleInput => ({
  merchantId,
  outTradeNo,
  transactionId: `tx-${outTradeNo}`,
  totalFen: 100,
  paidAt: new Date("2026-11-26T02:00:00Z"),
  to: "paid",
  from: PAID_CLEANLY_FROM,
  already: ALREADY_PAID_IN,
  source: "notify",
  eventData: { tradeState: "SUCCESS" },
  apiVersion: "v3",
  signType: null,
  ...over,
});

const tally = async (outTradeNos: string[]) =>
  (
    await h.ds.query(
      `SELECT o.out_trade_no, o.state,
         (SELECT count(*)::int FROM order_events e WHERE e.order_id = o.id AND e.type = 'transition') AS moves,
         (SELECT count(*)::int FROM outbox x WHERE x.order_id = o.id) AS outbox,
         (SELECT coalesce(array_agg(l.outcome ORDER BY l.outcome), '{}') FROM notify_log l
           WHERE l.merchant_id = o.merchant_id AND l.out_trade_no = o.out_trade_no) AS logs
       FROM orders o WHERE o.merchant_id = $1 AND o.out_trade_no = ANY($2) ORDER BY o.out_trade_no`,
      [merchantId, outTradeNos],
    )
  ).map((r: { out_trade_no: string }) => ({ ...r, out_trade_no: undefined }));

it("40 concurrent first deliveries share statements; each order moves once with its own rows", async () => {
  const nos = await paying(40);
  const { repo, statements } = counted();
  const out = await Promise.all(nos.map((no) => repo.settlePaid(input(no))));
  expect(out.map((o) => o.result)).toEqual(Array(40).fill("applied"));
  expect(statements()).toBeLessThan(40);
  expect(await tally(nos)).toEqual(
    nos.map(() => ({ state: "paid", moves: 1, outbox: 1, logs: ["applied"], out_trade_no: undefined })),
  );
});

it("the same notify twice in one batch: applied once, the copy a duplicate", async () => {
  const [no] = await paying(1);
  const { repo } = counted();
  const out = await Promise.all([repo.settlePaid(input(no!)), repo.settlePaid(input(no!))]);
  expect(out.map((o) => o.result).sort()).toEqual(["applied", "duplicate"]);
  expect(await tally([no!])).toEqual([
    { state: "paid", moves: 1, outbox: 1, logs: ["applied", "noop"], out_trade_no: undefined },
  ]);
});

it("a notify that breaks its batch fails alone; the others in that batch are applied", async () => {
  const nos = await paying(6);
  const { repo, sizes } = counted();
  // PostgreSQL text cannot hold NUL: this one statement fails, and with it its whole batch.
  const bad = repo.settlePaid(input("MB\u0000BROKEN"));
  const good = nos.map((no) => repo.settlePaid(input(no)));
  await expect(bad).rejects.toThrow();
  expect(sizes[0]).toBe(7); // all seven went together first, then one by one
  expect(sizes.slice(1)).toEqual(Array(7).fill(1));
  expect((await Promise.all(good)).map((o) => o.result)).toEqual(Array(6).fill("applied"));
  expect(await tally(nos)).toEqual(
    nos.map(() => ({ state: "paid", moves: 1, outbox: 1, logs: ["applied"], out_trade_no: undefined })),
  );
});

it("a remembered duplicate skips the settle statement and is still logged", async () => {
  const [no] = await paying(1);
  const { repo, statements } = counted();
  expect((await repo.settlePaid(input(no!))).result).toBe("applied");
  const before = statements();
  const dups = await Promise.all(Array.from({ length: 5 }, () => repo.settlePaid(input(no!))));
  expect(dups.map((d) => d.result)).toEqual(Array(5).fill("duplicate"));
  expect(statements()).toBe(before);
  expect(await tally([no!])).toEqual([
    {
      state: "paid",
      moves: 1,
      outbox: 1,
      logs: ["applied", ...Array(5).fill("noop")],
      out_trade_no: undefined,
    },
  ]);
  // Another instance (no memory) reads the order and finds the same.
  const other = counted();
  expect((await other.repo.settlePaid(input(no!))).result).toBe("duplicate");
  expect(other.statements()).toBe(1);
});

it("memory answers only for the same transaction and amount; anything else goes to the statement", async () => {
  const [no] = await paying(1);
  const { repo, statements } = counted();
  expect((await repo.settlePaid(input(no!))).result).toBe("applied");
  const before = statements();
  expect((await repo.settlePaid(input(no!, { transactionId: "tx-another" }))).result).toBe("fallback");
  expect((await repo.settlePaid(input(no!, { totalFen: 99 }))).result).toBe("fallback");
  expect(statements()).toBe(before + 2);
  expect(await tally([no!])).toEqual([
    { state: "paid", moves: 1, outbox: 1, logs: ["applied"], out_trade_no: undefined },
  ]);
});

it("inside a caller's transaction every call is its own statement and commits with that transaction", async () => {
  const [no] = await paying(1);
  await expect(
    h.ds.transaction(async (em) => {
      expect((await new NotifySettleRepo(em).settlePaid(input(no!))).result).toBe("applied");
      throw new Error("roll back");
    }),
  ).rejects.toThrow("roll back");
  expect(await tally([no!])).toEqual([
    { state: "paying", moves: 0, outbox: 0, logs: [], out_trade_no: undefined },
  ]);
});

it("a notify for another WeChat number of the order (a method switch) settles that order", async () => {
  const [no] = await paying(1);
  const alias = `${no!}N`;
  await h.ds.query(
    `INSERT INTO trade_numbers (merchant_id, out_trade_no, order_id, method, appid, created_at)
     SELECT merchant_id, $2, id, 'native', $3, now() FROM orders WHERE merchant_id = $1 AND out_trade_no = $4`,
    [merchantId, alias, seed.credentials.appid, no],
  );
  const { repo } = counted();
  expect(await repo.settlePaid(input(alias))).toMatchObject({ result: "applied", from: "paying" });
  expect(await tally([no!])).toEqual([
    { state: "paid", moves: 1, outbox: 1, logs: [], out_trade_no: undefined },
  ]);
  expect(await h.ds.query(`SELECT outcome FROM notify_log WHERE out_trade_no = $1`, [alias])).toEqual([
    { outcome: "applied" },
  ]);
});

it("an order changed by another transaction between the read and the move is left to the full path", async () => {
  const [no] = await paying(1);
  const qr = h.ds.createQueryRunner();
  await qr.connect();
  try {
    await qr.startTransaction();
    await qr.query(`UPDATE orders SET state = 'closed' WHERE merchant_id = $1 AND out_trade_no = $2`, [
      merchantId,
      no,
    ]);
    const { repo } = counted();
    const settling = repo.settlePaid(input(no!));
    // The settle reads 'paying' (the close is not committed) and its UPDATE waits for this row.
    await new Promise((r) => setTimeout(r, 300));
    await qr.commitTransaction();
    expect(await settling).toEqual({ result: "fallback" });
  } finally {
    await qr.release();
  }
  expect(await tally([no!])).toEqual([
    { state: "closed", moves: 0, outbox: 0, logs: [], out_trade_no: undefined },
  ]);
});
