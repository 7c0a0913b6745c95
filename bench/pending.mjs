// The pending group of `npm run bench` (bench/run.mjs): BENCH_PENDING_ORDERS (default 10,000) orders
// pending here ("paying") whose notifies were lost, reconciled by the backend's payment-check and
// expiry jobs alone (services/order-checks.ts on pg-boss, jobs/order-queues.ts).
//
// Its own sandbox and backend (a database of its own on the run's PostgreSQL), because the job
// timings differ from the other groups': PAYMENT_CHECK_SCHEDULE=BENCH_PENDING_SCHEDULE (default
// "1,5,10,20" seconds) and orders that expire BENCH_PENDING_EXPIRY_SECONDS (default 60) after the
// jobs are queued. The sweeper is off (SWEEPER_INTERVAL_MS=BENCH_PENDING_SWEEPER_MS, default 0), so
// every WeChat call counted is a job's.
//
// Set-up (not timed): the orders are placed at the sandbox with the v2 unifiedorder a prepay makes
// (HMAC-SHA256 merchant), the sandbox is told to drop every notify (drop_notify), and then, by
// out_trade_no: 50% paid, 20% closed at WeChat, 10% failed payment (PAYERROR), 20% left unpaid. In
// our database the orders are "paying", made ten minutes ago (past WeChat's minimum age for a
// close, docs/wechatpay-spec.md §2.5), and each gets the jobs a prepay queues (services/
// order-checks.ts scheduleChecks): a check due now and an expiry at its expiry time.
//
// Expected: paid → paid, closed → closed, PAYERROR and unpaid → expired (closed at WeChat by the
// expiry job). Timed from queuing the jobs until every order is in its expected state; WeChat calls
// are counted at the sandbox from its request log (LOG_LEVEL=debug). The run fails on a state that is
// final but wrong, or on BENCH_PENDING_TIMEOUT_SECONDS (default 150) without reaching the end.
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";

const N = Number(process.env.BENCH_PENDING_ORDERS ?? 10_000);
const SCHEDULE = process.env.BENCH_PENDING_SCHEDULE ?? "1,5,10,20";
const EXPIRY_SECONDS = Number(process.env.BENCH_PENDING_EXPIRY_SECONDS ?? 60);
const TIMEOUT_SECONDS = Number(process.env.BENCH_PENDING_TIMEOUT_SECONDS ?? 150);
const SWEEPER_MS = process.env.BENCH_PENDING_SWEEPER_MS ?? "0";

/**
 * What the sandbox holds for order i (by out_trade_no), and the states it may end in here. An order
 * closed at WeChat ends "closed" when a check sees it first, or "expired" when its expiry job comes
 * first (WeChat then answers "already closed"); both are right, only paid ↔ unpaid is a mismatch.
 */
const MIX = [
  ["paid", "paid"],
  ["paid", "paid"],
  ["paid", "paid"],
  ["paid", "paid"],
  ["paid", "paid"],
  ["closed", "closed|expired"],
  ["closed", "closed|expired"],
  ["payerror", "expired"],
  ["notpay", "expired"],
  ["notpay", "expired"],
];
const no = (i) => `BP${String(i + 1).padStart(8, "0")}`;

async function inParallel(count, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function pendingBench({ root, pool, pgUrl, children, tmp, freePort, waitFor, rssOf }) {
  const { signV2, toXml } = await import(path.join(root, "sandbox/dist/crypto/v2.js"));
  const backendRequire = createRequire(path.join(root, "backend", "package.json"));
  const pg = backendRequire("pg");
  const PgBoss = backendRequire("pg-boss");
  const [sbPort, sbTls, bePort] = await Promise.all([freePort(), freePort(), freePort()]);
  const spawnNode = (file, env, args) => {
    const c = spawn(process.execPath, [file, ...args], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: "silent", ...env },
      stdio: ["ignore", "pipe", "ignore"],
    });
    children.push(c);
    return c;
  };

  // The sandbox, with its request log on stdout: one line per request, counted by path.
  const calls = new Map();
  const sb = spawnNode(
    "sandbox/dist/cli.js",
    {
      SANDBOX_PORT: String(sbPort),
      SANDBOX_TLS_PORT: String(sbTls),
      SANDBOX_DATA_DIR: path.join(tmp, "pending-sandbox"),
      LOG_LEVEL: "debug",
    },
    ["start"],
  );
  readline.createInterface({ input: sb.stdout }).on("line", (line) => {
    if (!line.includes('"msg":"request"')) return;
    try {
      const r = JSON.parse(line);
      const key = `${r.method} ${r.path}`;
      calls.set(key, (calls.get(key) ?? 0) + 1);
    } catch {
      /* not a log line */
    }
  });
  const sandbox = `http://127.0.0.1:${sbPort}`;
  await waitFor(`${sandbox}/healthz`);

  await pool.query(`CREATE DATABASE minipay_pending`);
  const databaseUrl = `${pgUrl}/minipay_pending`;
  const backend = spawnNode(
    "backend/dist/main.js",
    {
      PORT: String(bePort),
      DATABASE_URL: databaseUrl,
      DATA_DIR: path.join(tmp, "pending-data"),
      SANDBOX_URL: sandbox,
      SANDBOX_MERCHANTS: "v2-hmac",
      SWEEPER_INTERVAL_MS: SWEEPER_MS,
      PAYMENT_CHECK_SCHEDULE: SCHEDULE,
      PRUNE_INTERVAL_MS: "0",
    },
    [],
  );
  const base = `http://127.0.0.1:${bePort}`;
  await waitFor(`${base}/readyz`);

  const doc = await (await fetch(`${sandbox}/__sandbox/merchants`)).json();
  const m = doc.merchants.find((x) => x.name === "v2-hmac");
  const merchantId = `mch_${m.mchid}`;
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const boss = new PgBoss({
    connectionString: databaseUrl,
    schema: "pgboss",
    max: 2,
    supervise: false,
    schedule: false,
    migrate: false,
  });
  boss.on("error", () => {});
  try {
    // Our side: N paying orders of one shopper, made ten minutes ago.
    const [u] = (
      await db.query(`INSERT INTO users (merchant_id, appid, openid) VALUES ($1, $2, $3) RETURNING id`, [
        merchantId,
        m.appid,
        "o-bench-pending",
      ])
    ).rows;
    await db.query(
      `INSERT INTO orders (user_id, merchant_id, out_trade_no, state, total_fen, description, idempotency_key,
         request_hash, expires_at, created_at, updated_at)
       SELECT $1, $2, 'BP' || lpad(g::text, 8, '0'), 'paying', 100, 'bench pending', 'bench-pending-' || g, 'h',
         now() + interval '1 hour', now() - interval '10 minutes', now() - interval '10 minutes'
       FROM generate_series(1, $3::int) g`,
      [u.id, merchantId, N],
    );

    // The sandbox's side: placed as a prepay places them, then each moved to its share of the mix.
    const v2 = async (endpoint, fields) => {
      const f = {
        appid: m.appid,
        mch_id: m.mchid,
        nonce_str: crypto.randomBytes(12).toString("hex"),
        sign_type: "HMAC-SHA256",
        ...fields,
      };
      const res = await fetch(`${sandbox}${endpoint}`, {
        method: "POST",
        headers: { "content-type": "text/xml" },
        body: toXml({ ...f, sign: signV2(f, m.apiV2Key, "HMAC-SHA256") }),
      });
      const text = await res.text();
      if (res.status !== 200 || !text.includes("<result_code><![CDATA[SUCCESS]]>"))
        throw new Error(
          `sandbox ${endpoint} for ${fields.out_trade_no}: ${res.status} ${text.slice(0, 300)}`,
        );
    };
    const control = async (p, body) => {
      const res = await fetch(`${sandbox}/__sandbox${p}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`sandbox ${p}: ${res.status} ${await res.text()}`);
    };
    let t = performance.now();
    await inParallel(N, 16, (i) =>
      v2("/pay/unifiedorder", {
        body: "bench pending",
        out_trade_no: no(i),
        total_fee: "100",
        spbill_create_ip: "127.0.0.1",
        notify_url: `${base}/notify/wechat/${merchantId}/v2/pay`,
        trade_type: "JSAPI",
        openid: "o-bench-pending",
      }),
    );
    await control("/scenarios", { action: "drop_notify", match: { mchid: m.mchid } });
    await inParallel(N, 16, async (i) => {
      const at = MIX[i % MIX.length][0];
      if (at === "paid") await control("/pay", { out_trade_no: no(i), outcome: "SUCCESS" });
      else if (at === "payerror") await control("/pay", { out_trade_no: no(i), outcome: "PAYERROR" });
      else if (at === "closed") await v2("/pay/closeorder", { out_trade_no: no(i) });
    });
    const setupSeconds = (performance.now() - t) / 1000;

    // The jobs a prepay queues, for every order; the expiry is set now so it counts from here.
    await boss.start();
    await sleep(500); // let the sandbox's set-up log lines arrive before the count starts
    const before = new Map(calls);
    const idle = rssOf(backend.pid);
    let maxRss = idle ?? 0;
    const { rows: orders } = await db.query(
      `UPDATE orders SET expires_at = now() + $2 * interval '1 second' WHERE merchant_id = $1 AND out_trade_no LIKE 'BP%'
       RETURNING id, out_trade_no, expires_at`,
      [merchantId, EXPIRY_SECONDS],
    );
    t = performance.now();
    const loadStart = os.loadavg();
    for (let i = 0; i < orders.length; i += 1000) {
      const chunk = orders.slice(i, i + 1000);
      await boss.insert(
        chunk.flatMap((o) => [
          {
            name: "payment-check",
            data: { orderId: o.id, merchantId, outTradeNo: o.out_trade_no, step: 0 },
            startAfter: new Date().toISOString(),
            singletonKey: `check:${o.out_trade_no}:0`,
          },
          {
            name: "order-expiry",
            data: { orderId: o.id, merchantId },
            startAfter: o.expires_at.toISOString(),
            singletonKey: `expire:${o.id}`,
          },
        ]),
      );
    }

    const expected = { paid: 0, unpaid: 0 };
    for (let i = 0; i < N; i++) expected[MIX[i % MIX.length][1] === "paid" ? "paid" : "unpaid"]++;
    const wrongFinal = `SELECT count(*)::int AS n, string_agg(o.out_trade_no || ' ' || o.state || ' (want ' || w.want || ')', ', ') AS which FROM orders o
      JOIN (SELECT 'BP' || lpad(g::text, 8, '0') AS no, (ARRAY[${MIX.map(([, s]) => `'${s}'`).join(",")}])[1 + (g - 1) % ${MIX.length}] AS want
            FROM generate_series(1, $2::int) g) w ON w.no = o.out_trade_no
      WHERE o.merchant_id = $1 AND o.state <> 'paying' AND NOT (o.state = ANY(string_to_array(w.want, '|')))`;
    let counts = {};
    let progress = [];
    for (;;) {
      await sleep(1000);
      maxRss = Math.max(maxRss, rssOf(backend.pid) ?? 0);
      counts = Object.fromEntries(
        (
          await db.query(
            `SELECT state, count(*)::int AS n FROM orders WHERE merchant_id = $1 AND out_trade_no LIKE 'BP%' GROUP BY state`,
            [merchantId],
          )
        ).rows.map((r) => [r.state, r.n]),
      );
      const elapsed = (performance.now() - t) / 1000;
      const final = N - (counts.paying ?? 0);
      if (progress.length === 0 || elapsed - progress.at(-1).s >= 10)
        progress.push({ s: Math.round(elapsed), final });
      const wrong = (await db.query(wrongFinal, [merchantId, N])).rows[0];
      if (wrong.n > 0)
        throw new Error(
          `pending: ${wrong.n} orders ended in a wrong state after ${elapsed.toFixed(0)} s (${JSON.stringify(counts)}): ${wrong.which.slice(0, 500)}`,
        );
      if (final === N) break;
      // Out of time: the figures so far are still printed, and the run fails (printPending).
      if (elapsed > TIMEOUT_SECONDS) break;
    }
    const seconds = (performance.now() - t) / 1000;
    const loadEnd = os.loadavg();
    await sleep(500);
    const wechat = diff(calls, before);
    const total = Object.entries(wechat)
      .filter(([k]) => !k.includes("/__sandbox/"))
      .reduce((a, [, n]) => a + n, 0);
    const notifies = (
      await db.query(`SELECT count(*)::int AS n FROM notify_log`).catch(() => ({ rows: [{ n: null }] }))
    ).rows[0].n;
    const final = N - (counts.paying ?? 0);
    const unpaid = (counts.closed ?? 0) + (counts.expired ?? 0);
    if (final === N && ((counts.paid ?? 0) !== expected.paid || unpaid !== expected.unpaid))
      throw new Error(`pending: ${JSON.stringify(counts)}, expected ${JSON.stringify(expected)}`);
    return {
      complete: final === N,
      final,
      timeoutSeconds: TIMEOUT_SECONDS,
      orders: N,
      schedule: SCHEDULE,
      expirySeconds: EXPIRY_SECONDS,
      sweeperMs: Number(SWEEPER_MS),
      setupSeconds: Number(setupSeconds.toFixed(1)),
      seconds: Number(seconds.toFixed(1)),
      wechatCalls: wechat,
      wechatCallsTotal: total,
      callsPerOrder: Number((total / N).toFixed(2)),
      states: counts,
      expected,
      notifyLogRows: notifies,
      progress,
      backendRss: { idleBytes: idle, maxBytes: maxRss },
      cpus: os.cpus().length,
      loadAverage: { start: loadStart, end: loadEnd },
    };
  } finally {
    await boss.stop({ graceful: false, wait: false }).catch(() => {});
    await db.end();
  }
}

function diff(now, before) {
  const out = {};
  for (const [k, n] of now) if (n - (before.get(k) ?? 0) > 0) out[k] = n - (before.get(k) ?? 0);
  return out;
}

export function printPending(p) {
  const mb = (b) => (b ? `${(b / 1024 / 1024).toFixed(0)} MB` : "n/a");
  console.log(
    `\nPending orders reconciled by the payment-check and expiry jobs (${p.orders.toLocaleString("en")} orders; ` +
      `checks at ${p.schedule} s, expiry ${p.expirySeconds} s after queuing, sweeper ${p.sweeperMs ? `every ${p.sweeperMs} ms` : "off"}; ` +
      `${p.cpus} CPUs, load average ${p.loadAverage.start.map((x) => x.toFixed(2)).join(" ")} at start, ` +
      `${p.loadAverage.end.map((x) => x.toFixed(2)).join(" ")} at end)`,
  );
  console.log(`  set-up at the sandbox (not timed): ${p.setupSeconds} s`);
  if (p.complete)
    console.log(
      `  wall time until every order is final and right: ${p.seconds} s (${(p.orders / p.seconds).toFixed(1)} orders/s)`,
    );
  else {
    const rate = p.final / p.seconds;
    console.log(
      `  NOT reconciled: after ${p.seconds} s (BENCH_PENDING_TIMEOUT_SECONDS=${p.timeoutSeconds}) ${p.final} of ` +
        `${p.orders} orders are final (${rate.toFixed(2)} orders/s; all ${p.orders} would take about ` +
        `${(p.orders / Math.max(rate, 0.001) / 60).toFixed(0)} min at that rate); every final one is right`,
    );
    process.exitCode = 1;
  }
  console.log(
    `  WeChat calls: ${p.wechatCallsTotal} (${p.callsPerOrder} per order${p.complete ? "" : " so far"}): ` +
      Object.entries(p.wechatCalls)
        .map(([k, n]) => `${k} ${n}`)
        .join(", "),
  );
  console.log(
    `  states: ${JSON.stringify(p.states)} (expected at the end: ${JSON.stringify(p.expected)}, unpaid = closed or expired); ` +
      `notify_log rows: ${p.notifyLogRows}`,
  );
  console.log(`  progress (s → final orders): ${p.progress.map((x) => `${x.s}→${x.final}`).join(", ")}`);
  console.log(
    `  backend RSS: idle ${mb(p.backendRss.idleBytes)}, during the run (max sampled) ${mb(p.backendRss.maxBytes)}`,
  );
}
