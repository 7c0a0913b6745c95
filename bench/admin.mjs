// The admin case of `npm run bench` (bench/run.mjs): 1,000,000 orders across two merchants, seeded
// in PostgreSQL with one INSERT … SELECT generate_series, then p50/p99 at 10 connections of three
// pages of GET /admin/v1/orders (the first, one 500,000 rows deep by cursor, and a filtered one:
// state + created range), and the EXPLAIN (ANALYZE, BUFFERS) plans of their SQL, taken through the
// backend's own repository so the plans are of the exact statements the server runs.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

export const ADMIN_ORDERS = Number(process.env.BENCH_ADMIN_ORDERS ?? 1_000_000);
export const ADMIN_TARGET_P99_MS = 25;
const DEEP = Math.floor(ADMIN_ORDERS / 2);

/**
 * Orders spaced 2 s apart going back from `newest`; every 5th belongs to merchant B, so A holds 80%
 * and a page 500,000 rows deep is inside A's list. States are terminal (no job or sweeper acts on
 * them) and consistent with the schema: paid ones have paid_at and a unique transaction_id,
 * refunded amounts stay within the total, lapsed ones released their stock. The state comes from a
 * hash of g (not g itself, whose residues would tie states to merchants).
 */
const SEED_SQL = `
INSERT INTO orders (user_id, merchant_id, out_trade_no, state, total_fen, refunded_fen, description,
  idempotency_key, request_hash, transaction_id, stock_released, expires_at, paid_at, created_at, updated_at)
SELECT CASE WHEN g % 5 = 0 THEN $2::uuid ELSE $1::uuid END,
       CASE WHEN g % 5 = 0 THEN $4 ELSE $3 END,
       'BENCH' || lpad(g::text, 10, '0'),
       s.state,
       s.fen,
       CASE s.state WHEN 'refunded' THEN s.fen WHEN 'partially_refunded' THEN s.fen / 2 ELSE 0 END,
       'bench order ' || g,
       'bench-' || g,
       md5(g::text),
       CASE WHEN s.state IN ('paid', 'refunded', 'partially_refunded') THEN '4200' || lpad(g::text, 24, '0') END,
       s.state IN ('closed', 'expired', 'failed'),
       t.created + interval '15 minutes',
       CASE WHEN s.state IN ('paid', 'refunded', 'partially_refunded') THEN t.created + interval '40 seconds' END,
       t.created,
       t.created
FROM generate_series(1, $5::int) g
CROSS JOIN LATERAL (SELECT date_trunc('milliseconds', $6::timestamptz - g * interval '2 seconds') AS created) t
CROSS JOIN LATERAL (
  SELECT (ARRAY['paid','paid','paid','paid','paid','paid','paid','paid','closed','closed','closed',
                'expired','expired','expired','expired','refunded','partially_refunded','failed',
                'paid','closed'])[1 + ((hashint4(g)::bigint % 20) + 20) % 20] AS state,
         100 + (g::bigint * 37) % 99900 AS fen
) s`;

/** The server's cursor (backend/src/services/cursor.ts): base64url of {"t": ISO ms, "id": uuid}. */
const cursorOf = (row) =>
  Buffer.from(JSON.stringify({ t: row.created_at.toISOString(), id: row.id })).toString("base64url");

export async function adminBench({ root, base, databaseUrl, bench, connections, duration }) {
  const backendRequire = createRequire(path.join(root, "backend", "package.json"));
  const pg = backendRequire("pg");
  const { OrdersRepo } = backendRequire("./dist/db/repositories/orders.js");
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const merchants = (
      await client.query("SELECT id, appid FROM merchants WHERE disabled_at IS NULL ORDER BY created_at, id")
    ).rows;
    if (merchants.length < 2)
      throw new Error(`the admin bench needs two merchants, found ${merchants.length}`);
    const [A, B] = merchants;
    const users = [];
    for (const m of [A, B])
      users.push(
        (
          await client.query(
            `INSERT INTO users (appid, openid) VALUES ($1, 'bench-shopper') ON CONFLICT (appid, openid)
             DO UPDATE SET updated_at = now() RETURNING id`,
            [m.appid],
          )
        ).rows[0].id,
      );
    const newest = new Date(Date.now() - 60_000);
    let t = Date.now();
    await client.query(SEED_SQL, [users[0], users[1], A.id, B.id, ADMIN_ORDERS, newest]);
    await client.query("ANALYZE orders");
    const seedSeconds = (Date.now() - t) / 1000;
    const counts = (
      await client.query("SELECT merchant_id, count(*)::int AS n FROM orders GROUP BY 1 ORDER BY 2 DESC")
    ).rows;
    console.log(
      `  seeded ${ADMIN_ORDERS.toLocaleString("en")} orders in ${seedSeconds.toFixed(1)} s (${counts.map((c) => `${c.merchant_id}: ${c.n}`).join(", ")})`,
    );

    // An admin key for A, made by the operator's CLI against the same database.
    const cli = spawnSync(
      process.execPath,
      [
        path.join(root, "backend/bin/minipay.js"),
        "key",
        "create",
        "--scopes",
        "orders:read",
        "--merchant",
        A.id,
        "--name",
        "bench",
      ],
      { cwd: root, env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl }, encoding: "utf8" },
    );
    if (cli.status !== 0) throw new Error(`minipay key create failed: ${cli.stderr}`);
    const key = cli.stdout.trim().split("\n").pop();
    const auth = { authorization: `Bearer ${key}` };

    // The deep page: the cursor of A's 500,000th order, made the way the server makes it.
    const deepRows = (
      await client.query(
        `SELECT id, created_at FROM orders WHERE merchant_id = $1 ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 2`,
        [A.id, DEEP - 1],
      )
    ).rows;
    const deepCursor = cursorOf(deepRows[0]);
    // The filtered page: refunded orders (5%) made in a window of 30% of the seeded span (7 days of
    // the 23 that 1,000,000 orders 2 s apart cover), ending 15% of the span back.
    const span = ADMIN_ORDERS * 2000;
    const to = new Date(newest.getTime() - Math.round(span * 0.15));
    const from = new Date(to.getTime() - Math.round(span * 0.3));
    const filterQuery = `state=refunded&createdFrom=${from.toISOString()}&createdTo=${to.toISOString()}`;

    const pages = [
      { name: "first page", path: "/admin/v1/orders", filter: {}, after: null },
      {
        name: `page ${DEEP.toLocaleString("en")} rows deep (cursor)`,
        path: `/admin/v1/orders?cursor=${deepCursor}`,
        filter: {},
        after: { createdAt: deepRows[0].created_at, id: deepRows[0].id },
      },
      {
        name: "filtered page (state + created range)",
        path: `/admin/v1/orders?${filterQuery}`,
        filter: { states: ["refunded"], createdFrom: from, createdTo: to },
        after: null,
      },
    ];

    // Each page answers what it should before it is timed.
    for (const p of pages) {
      const res = await fetch(base + p.path, { headers: auth });
      const body = await res.json();
      if (res.status !== 200 || body.orders.length !== 20)
        throw new Error(`${p.name}: HTTP ${res.status}, ${body.orders?.length} orders`);
      p.check = body;
    }
    if (pages[1].check.orders[0].id !== deepRows[1].id)
      throw new Error("the deep page does not start right after the cursor's order");
    if (pages[2].check.orders.some((o) => o.state !== "refunded"))
      throw new Error("the filtered page holds other states");

    // Plans of the exact statements: the repository's SQL, run under EXPLAIN.
    const plans = [];
    for (const p of pages) {
      let plan = null;
      const repo = new OrdersRepo({
        query: async (sql, params) => {
          plan = (await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params)).rows
            .map((r) => r["QUERY PLAN"])
            .join("\n");
          return [];
        },
      });
      // The service asks for one row more than the page to know whether there is a next one.
      await repo.adminPage(A.id, { filter: p.filter, limit: 21, after: p.after });
      plans.push(`=== ${p.name}: GET ${p.path.replace(/cursor=[^&]+/, "cursor=…")}\n${plan}\n`);
    }

    const results = [];
    // For reference: what a request costs before the list runs (key look-up, per-key rate-limit
    // counter, scope check), measured on a route this key lacks the scope for (403).
    const ref = await bench(
      "admin auth only",
      { path: "/admin/v1/products", headers: auth, connections, duration },
      403,
    );
    results.push({
      title: "(reference) key + rate limit only: GET /admin/v1/products → 403",
      p50ms: ref.latency.p50,
      p99ms: ref.latency.p99,
      rps: ref.requests.average,
      reference: true,
    });
    for (const p of pages) {
      const r = await bench(`admin ${p.name}`, { path: p.path, headers: auth, connections, duration }, 200);
      results.push({
        title: `GET /admin/v1/orders ${p.name}`,
        p50ms: r.latency.p50,
        p99ms: r.latency.p99,
        rps: r.requests.average,
      });
    }
    return {
      orders: ADMIN_ORDERS,
      seedSeconds,
      connections,
      // A string, not an array: prettier keeps the written JSON as JSON.stringify lays it out.
      loadAverage: os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(" "),
      cpus: os.cpus().length,
      results,
      plans,
    };
  } finally {
    await client.end();
  }
}

export function printAdmin(root, a) {
  console.log(
    `\nAdmin orders list over ${a.orders.toLocaleString("en")} orders (${a.connections} connections; ` +
      `load average ${a.loadAverage} on ${a.cpus} CPUs)`,
  );
  for (const r of a.results)
    console.log(
      `  ${r.title.padEnd(72)} p50 ${String(r.p50ms).padStart(3)} ms  p99 ${String(r.p99ms).padStart(3)} ms  ${r.rps.toFixed(0).padStart(6)} req/s  ${r.reference ? "" : `${r.p99ms < ADMIN_TARGET_P99_MS ? "✓" : "✗"} p99 < ${ADMIN_TARGET_P99_MS} ms`}`,
    );
  console.log("\nQuery plans (EXPLAIN (ANALYZE, BUFFERS)):\n");
  for (const p of a.plans) console.log(p);
  const plansFile = path.join(root, "bench", "results", "admin-plans.txt");
  fs.writeFileSync(plansFile, a.plans.join("\n"));
  const file = path.join(root, "bench", "results", "admin.json");
  const { plans: _plans, ...rest } = a;
  fs.writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), ...rest }, null, 2) + "\n");
  console.log(`  written to ${path.relative(root, file)} and ${path.relative(root, plansFile)}`);
}
