/**
 * Abuse limits, always from TWO backend processes (two composed apps) on one database, hit
 * alternately: a limit kept in process memory would let twice the limit through, the shared one
 * lets it through once. Login floods are limited per client address and per mini-program, and a
 * malformed code never costs a write or a code2Session call; order and verify floods are limited
 * per user; open orders and units per product are capped per user, also under concurrency; the
 * retention job prunes what only grew, with two processes pruning at once.
 */
import crypto from "node:crypto";
import type { AdapterFactory } from "../../src/merchants/registry";
import { createTestDatabaseUrl } from "../helpers/db";
import { offlineMerchant, startHarness, unusedGateway, type Harness } from "../helpers/harness";
import { callJson, type Reply } from "../helpers/http";

const APPID = offlineMerchant().credentials.appid;

/** code2Session that answers every code with a stable openid, and counts its calls. */
function countingWechat(): { adapters: AdapterFactory; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    adapters: {
      gateway: () => unusedGateway(),
      auth: (s) => ({
        appid: s.credentials.appid,
        code2Session: async (code: string) => {
          calls++;
          const openid = "o" + crypto.createHash("sha256").update(code).digest("base64url").slice(0, 27);
          return { openid, sessionKey: crypto.randomBytes(16).toString("base64"), unionid: null };
        },
      }),
    },
  };
}

/** Real time plus a shift both processes share: `advance` moves them on together. */
function testClock() {
  let shift = 0;
  return {
    now: () => new Date(Date.now() + shift),
    advance: (ms: number) => void (shift += ms),
  };
}

const call = (h: Harness, method: string, path: string, o: Parameters<typeof callJson>[3] = {}) =>
  callJson(h.url, method, path, o);

const wellFormedCode = () => crypto.randomBytes(24).toString("base64url").slice(0, 32);
const idem = () => "k-" + crypto.randomBytes(12).toString("hex");

type PairOpts = Pick<Parameters<typeof startHarness>[0], "limits" | "trustProxy" | "verifyPerMinute">;

/** Two backend processes over one fresh database, sharing the master key (as a deployment does). */
async function startPair(opts: PairOpts = {}) {
  const databaseUrl = await createTestDatabaseUrl();
  const masterKey = crypto.randomBytes(32);
  const wechat = countingWechat();
  const clock = testClock();
  const common = { databaseUrl, masterKey, adapters: wechat.adapters, now: clock.now, ...opts };
  const a = await startHarness(common);
  const b = await startHarness(common);
  const both = [a, b];
  return {
    a,
    b,
    clock,
    calls: wechat.calls,
    /** The i-th request goes to a, b, a, b, … */
    pick: (i: number) => both[i % 2]!,
    async login(h: Harness = a): Promise<string> {
      const r = await call(h, "POST", "/api/v1/session", { body: { code: wellFormedCode() } });
      if (r.status !== 200) throw new Error(`login ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.token;
    },
    order(h: Harness, token: string, items: { productId: string; quantity: number }[], key = idem()) {
      return call(h, "POST", "/api/v1/orders", {
        token,
        body: { items },
        headers: { "idempotency-key": key },
      });
    },
    count: async (sql: string, params: unknown[] = []) => Number((await a.ds.query(sql, params))[0].n),
    close: async () => {
      await a.close();
      await b.close();
    },
  };
}
type Pair = Awaited<ReturnType<typeof startPair>>;

/** A login through instance `i % 2` of the pair, from `addr` as the trusted proxy reports it. */
const loginFrom = (p: Pair, i: number, addr: string) =>
  call(p.pick(i), "POST", "/api/v1/session", {
    body: { code: wellFormedCode() },
    headers: { "x-forwarded-for": addr },
  });

function expectRateLimited(r: Reply) {
  expect(r.status).toBe(429);
  expect(r.body.error.code).toBe("RATE_LIMITED");
  const retryAfter = Number(r.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

// Each test starts its own pair of instances; whichever test ran last, its pair is closed here.
let p: Pair | undefined;
afterEach(async () => {
  await p?.close();
  p = undefined;
});

describe("login limits", () => {
  it("a malformed code is refused with LOGIN_CODE_INVALID before any write or code2Session call", async () => {
    p = await startPair();
    const malformed = [
      "x",
      "short",
      "has spaces in it",
      "<script>alert(1)</script>",
      "登录登录登录登录登录",
      "../../../../etc/passwd",
      "abc%00def%00ghi",
      "a".repeat(129),
    ];
    for (const [i, code] of malformed.entries()) {
      const r = await call(p.pick(i), "POST", "/api/v1/session", { body: { code } });
      // Over 128 characters the shared request schema refuses it first.
      const [status, error] = code.length > 128 ? [400, "VALIDATION_FAILED"] : [401, "LOGIN_CODE_INVALID"];
      expect({ status: r.status, code: r.body.error.code }).toEqual({ status, code: error });
    }
    expect(p.calls()).toBe(0);
    expect(await p.count(`SELECT count(*)::int AS n FROM login_codes`)).toBe(0);
    // A well-formed code does reach code2Session (the counter works).
    await p.login(p.b);
    expect(p.calls()).toBe(1);
    expect(await p.count(`SELECT count(*)::int AS n FROM login_codes`)).toBe(1);
  });

  it("logins per client address: the limit holds across two processes, X-Forwarded-For is ignored by default", async () => {
    p = await startPair({ limits: { loginPerClientPerMinute: 4 } });
    const replies: Reply[] = [];
    for (let i = 0; i < 8; i++)
      replies.push(
        await call(p.pick(i), "POST", "/api/v1/session", {
          body: { code: wellFormedCode() },
          // Without TRUST_PROXY a forged header must not buy a fresh budget.
          headers: { "x-forwarded-for": `203.0.113.${i + 1}` },
        }),
      );
    expect(replies.slice(0, 4).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    for (const r of replies.slice(4)) expectRateLimited(r);
    // The window started at the client's first login, moments ago: nearly a whole minute to wait.
    expect(Number(replies[4]!.headers.get("retry-after"))).toBeGreaterThanOrEqual(55);
    expect(p.calls()).toBe(4);
    expect(await p.count(`SELECT count(*)::int AS n FROM login_codes`)).toBe(4);
    // The counters hold no client address in clear.
    const keys = await p.a.ds.query(`SELECT bucket, key FROM rate_limit_counters`);
    expect(keys.length).toBeGreaterThan(0);
    expect(JSON.stringify(keys)).not.toMatch(/127\.0\.0\.1|::1|::ffff/);
    // The next window lets the client in again.
    p.clock.advance(60_000);
    expect((await call(p.a, "POST", "/api/v1/session", { body: { code: wellFormedCode() } })).status).toBe(
      200,
    );
  });

  it("concurrent logins through two processes: the atomic count lets exactly the limit through", async () => {
    p = await startPair({ limits: { loginPerClientPerMinute: 5 } });
    const replies = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        call(p!.pick(i), "POST", "/api/v1/session", { body: { code: wellFormedCode() } }),
      ),
    );
    expect(replies.filter((r) => r.status === 200)).toHaveLength(5);
    for (const r of replies.filter((x) => x.status !== 200)) expectRateLimited(r);
    expect(p.calls()).toBe(5);
    const [row] = await p.a.ds.query(`SELECT count FROM rate_limit_counters WHERE bucket = 'login-client'`);
    expect(row.count).toBe(16);
  });

  it("logins per mini-program: the limit holds across client addresses and processes (TRUST_PROXY)", async () => {
    p = await startPair({
      trustProxy: true,
      limits: { loginPerClientPerMinute: 2, loginPerAppPerMinute: 5 },
    });
    const from = (i: number, addr: string) => loginFrom(p!, i, addr);
    // Behind a trusted proxy the forwarded address is the client: its own budget of 2.
    expect((await from(0, "198.51.100.1")).status).toBe(200);
    expect((await from(1, "198.51.100.1")).status).toBe(200);
    // Only the address the proxy appended counts: a forged address to its left buys nothing.
    expectRateLimited(await from(2, "203.0.113.77, 198.51.100.1"));
    // Other addresses: the app's budget of 5 (2 spent) runs out after 3 more, whatever the address.
    const replies: Reply[] = [];
    for (let i = 0; i < 6; i++) replies.push(await from(i, `198.51.100.${10 + i}`));
    expect(replies.slice(0, 3).map((r) => r.status)).toEqual([200, 200, 200]);
    for (const r of replies.slice(3)) expectRateLimited(r);
    expect(p.calls()).toBe(5);
    const app = await p.a.ds.query(`SELECT count FROM rate_limit_counters WHERE bucket = 'login-app'`);
    expect(JSON.stringify(app)).not.toContain(APPID);
  });

  it("an IPv6 client counts as its /64: rotating addresses inside it buys no fresh budget", async () => {
    p = await startPair({ trustProxy: true, limits: { loginPerClientPerMinute: 2 } });
    const from = (i: number, addr: string) => loginFrom(p!, i, addr);
    expect((await from(0, "2001:db8:1:2::1")).status).toBe(200);
    expect((await from(1, "2001:db8:1:2:aaaa::2")).status).toBe(200);
    expectRateLimited(await from(2, "2001:0db8:0001:0002:ffff:ffff:ffff:3"));
    expect((await from(3, "2001:db8:1:3::1")).status).toBe(200);
    expect(p.calls()).toBe(3);
  });
});

describe("order and verify limits", () => {
  it("new orders per user: the limit holds across two processes; a replayed Idempotency-Key is not counted", async () => {
    p = await startPair({ limits: { ordersPerUserPerMinute: 3 } });
    const token = await p.login();
    const other = await p.login(p.b);
    const item = [{ productId: "red-envelope", quantity: 1 }];
    const firstKey = idem();
    const made: Reply[] = [await p.order(p.a, token, item, firstKey)];
    for (let i = 1; i < 6; i++) made.push(await p.order(p.pick(i), token, item));
    expect(made.slice(0, 3).map((r) => r.status)).toEqual([201, 201, 201]);
    for (const r of made.slice(3)) expectRateLimited(r);
    expect(await p.count(`SELECT count(*)::int AS n FROM orders`)).toBe(3);
    // A retry of an order already made answers with it, limit or not.
    const replay = await p.order(p.b, token, item, firstKey);
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(made[0]!.body.id);
    // Another user has their own budget.
    expect((await p.order(p.b, other, item)).status).toBe(201);
  });

  it("verifies per user: the limit holds across two processes, another user is unaffected", async () => {
    p = await startPair({ verifyPerMinute: 2 });
    const token = await p.login();
    const other = await p.login();
    const o = await p.order(p.a, token, [{ productId: "red-envelope", quantity: 1 }]);
    expect(o.status).toBe(201);
    const verify = (i: number, t: string) =>
      call(p!.pick(i), "POST", `/api/v1/orders/${o.body.id}/verify`, { token: t });
    expect((await verify(0, token)).status).toBe(200);
    expect((await verify(1, token)).status).toBe(200);
    expectRateLimited(await verify(2, token));
    expectRateLimited(await verify(3, token));
    // The other user's verify is counted for them (and their answer is "not found": not their order).
    expect((await verify(0, other)).body.error.code).toBe("ORDER_NOT_FOUND");
  });

  it("open orders per user are capped (409 TOO_MANY_OPEN_ORDERS); expired ones stop counting", async () => {
    p = await startPair({ limits: { maxOpenOrdersPerUser: 3 } });
    const token = await p.login();
    const item = [{ productId: "mooncake", quantity: 1 }];
    for (let i = 0; i < 3; i++) expect((await p.order(p.pick(i), token, item)).status).toBe(201);
    const stock = async () => p!.count(`SELECT stock AS n FROM products WHERE id = 'mooncake' LIMIT 1`);
    const before = await stock();
    const refused = await p.order(p.b, token, item);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("TOO_MANY_OPEN_ORDERS");
    expect(refused.body.error.details).toEqual({ limit: 3, open: 3 });
    expect(await stock()).toBe(before); // nothing reserved by the refused order
    // Another user is not affected.
    expect((await p.order(p.a, await p.login(), item)).status).toBe(201);
    // Past their expiry the old orders no longer hold a slot, even before the sweeper runs.
    p.clock.advance(31 * 60_000);
    expect((await p.order(p.a, token, item)).status).toBe(201);
  });

  it("concurrent orders from one user through two processes never pass the open-order cap", async () => {
    p = await startPair({ limits: { maxOpenOrdersPerUser: 3 } });
    const token = await p.login();
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        p!.order(p!.pick(i), token, [{ productId: "oolong-tea", quantity: 1 }]),
      ),
    );
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 409)).toHaveLength(7);
    for (const r of replies.filter((x) => x.status === 409))
      expect(r.body.error.code).toBe("TOO_MANY_OPEN_ORDERS");
    expect(await p.count(`SELECT count(*)::int AS n FROM orders WHERE state IN ('created','paying')`)).toBe(
      3,
    );
  });

  it("units of one product per user are capped across open orders (409 QUANTITY_LIMIT), also concurrently", async () => {
    p = await startPair({ limits: { maxQuantityPerProductPerUser: 5 } });
    const token = await p.login();
    const tea = (quantity: number) => [{ productId: "oolong-tea", quantity }];
    expect((await p.order(p.a, token, tea(3))).status).toBe(201);
    const over = await p.order(p.b, token, tea(3));
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe("QUANTITY_LIMIT");
    expect(over.body.error.details).toEqual({ productId: "oolong-tea", limit: 5, held: 3 });
    expect((await p.order(p.b, token, tea(2))).status).toBe(201);
    // Other products have their own cap; one order over the cap on its own is refused too.
    expect((await p.order(p.a, token, [{ productId: "mooncake", quantity: 5 }])).status).toBe(201);
    expect((await p.order(p.a, token, [{ productId: "red-envelope", quantity: 6 }])).body.error.code).toBe(
      "QUANTITY_LIMIT",
    );

    // Concurrently: four orders of 2 from a fresh user, through both processes: only two fit in 5.
    const fresh = await p.login(p.b);
    const replies = await Promise.all(
      Array.from({ length: 4 }, (_, i) => p!.order(p!.pick(i), fresh, tea(2))),
    );
    expect(replies.filter((r) => r.status === 201)).toHaveLength(2);
    expect(replies.filter((r) => r.body?.error?.code === "QUANTITY_LIMIT")).toHaveLength(2);
  });
});

describe("retention", () => {
  it("prunes old login codes, ended sessions, old notify_log rows and rate windows; two processes at once delete each row once", async () => {
    p = await startPair();
    const q = (sql: string, params: unknown[] = []) => p!.a.ds.query(sql, params);
    const now = p.clock.now();
    const ago = (ms: number) => new Date(now.getTime() - ms);
    const DAY = 86400_000;
    // 2500 old login codes (more than two batches of 1000) and 3 fresh ones.
    await q(
      `INSERT INTO login_codes (code_hash, used_at) SELECT 'old-' || g, $1 FROM generate_series(1, 2500) g`,
      [ago(2 * DAY)],
    );
    await q(
      `INSERT INTO login_codes (code_hash, used_at) SELECT 'new-' || g, $1 FROM generate_series(1, 3) g`,
      [ago(60_000)],
    );
    const [user] = await q(`INSERT INTO users (appid, openid) VALUES ($1, 'o-retention') RETURNING id`, [
      APPID,
    ]);
    const session = (name: string, lastSeen: Date, expires: Date, revoked: Date | null) =>
      q(
        `INSERT INTO sessions (user_id, token_hash, created_at, last_seen_at, expires_at, revoked_at)
         VALUES ($1, $2, $3, $3, $4, $5)`,
        [user.id, name, lastSeen, expires, revoked],
      );
    await session("expired-long-ago", ago(40 * DAY), ago(10 * DAY), null);
    await session("revoked-long-ago", ago(9 * DAY), ago(-20 * DAY), ago(8 * DAY));
    await session("idle-long-ago", ago(30 * DAY), ago(-1 * DAY), null);
    await session("expired-yesterday", ago(2 * DAY), ago(DAY), null);
    await session("live", ago(60_000), ago(-DAY), null);
    const log = (at: Date) =>
      q(
        `INSERT INTO notify_log (merchant_id, api_version, kind, outcome, created_at) VALUES (NULL, 'v3', 'pay', 'ok', $1)`,
        [at],
      );
    await log(ago(91 * DAY));
    await log(ago(DAY));
    await q(
      `INSERT INTO rate_limit_counters (bucket, key, window_start, count) VALUES ('t', 'old', $1, 1), ('t', 'new', $2, 1)`,
      [ago(2 * 3600_000), ago(30_000)],
    );

    const [x, y] = await Promise.all([p.a.retention.runOnce(), p.b.retention.runOnce()]);
    expect(x.loginCodes + y.loginCodes).toBe(2500);
    expect(x.sessions + y.sessions).toBe(3);
    expect(x.notifyLog + y.notifyLog).toBe(1);
    expect(x.rateWindows + y.rateWindows).toBe(1);

    expect(
      (await q(`SELECT code_hash FROM login_codes ORDER BY code_hash`)).map((r: any) => r.code_hash),
    ).toEqual(["new-1", "new-2", "new-3"]);
    expect(
      (await q(`SELECT token_hash FROM sessions ORDER BY token_hash`)).map((r: any) => r.token_hash),
    ).toEqual(["expired-yesterday", "live"]);
    expect(await p.count(`SELECT count(*)::int AS n FROM notify_log`)).toBe(1);
    expect(await q(`SELECT key FROM rate_limit_counters`)).toEqual([{ key: "new" }]);
    // A second pass finds nothing more.
    expect(await p.a.retention.runOnce()).toEqual({
      loginCodes: 0,
      sessions: 0,
      notifyLog: 0,
      rateWindows: 0,
    });
  });
});
