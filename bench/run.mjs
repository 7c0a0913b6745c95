#!/usr/bin/env node
// `npm run bench [-- GROUP...]`: builds, starts the sandbox and the backend (embedded PostgreSQL in a
// temp dir) on free ports, and measures with autocannon. Groups: basic, notify, prepay, admin
// (default: all; admin seeds 1,000,000 orders and runs last, see bench/admin.mjs). Every figure is printed with a ratio against baselines measured in the same run on the same
// machine, so results compare across machines. A case whose answers are not all the expected
// status fails the run: a benchmark of the wrong answer is worthless. Loopback only, bounded in time.
//
// notify: genuine signed v2 (HMAC-SHA256, XML) and v3 (public-key mode, AES-GCM + RSA) pay notifies
// for N distinct paying orders (BENCH_NOTIFY_ORDERS, default 4,000), each sent once (first
// delivery) and again (duplicates), timed to the last response, against (a) a bare Koa route that
// reads and parses the same body and (b) a peer handler (Koa + tenpay / wechatpay-node-v3 + one
// UPDATE), both in bench/peer-app.mjs. The bench plays WeChat with the sandbox's keys.
//
// verify, login: the two shopper endpoints that call WeChat, next to the raw sandbox call they make
// and a bare Koa route (bench/verify-login.mjs). pending: 10,000 orders with lost notifies,
// reconciled by the payment-check and expiry jobs, WeChat calls counted (bench/pending.mjs).
// docs/bench-upstream.md describes both.
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import pg from "pg";
import { adminBench, printAdmin } from "./admin.mjs";
import { cannon } from "./cannon.mjs";
import { pendingBench, printPending } from "./pending.mjs";
import { verifyLoginBench } from "./verify-login.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const NOTIFY_ORDERS = Number(process.env.BENCH_NOTIFY_ORDERS ?? 4000);
const PREPAY_CONNECTIONS = Number(process.env.BENCH_PREPAY_CONNECTIONS ?? 8);
const GROUPS = ["basic", "notify", "prepay", "verify", "login", "pending", "admin"];
const asked = process.argv.slice(2).filter((a) => a !== "--");
for (const g of asked)
  if (!GROUPS.includes(g)) throw new Error(`unknown group ${g}; have ${GROUPS.join(", ")}`);
const on = (g) => asked.length === 0 || asked.includes(g);

for (const w of ["@minipay/shared", "@minipay/sandbox", "@minipay/backend"]) {
  const r = spawnSync("npm", ["run", "build", "-w", w], { cwd: root, stdio: "ignore" });
  if (r.status !== 0) throw new Error(`build of ${w} failed`);
}
const { signV2, toXml } = await import(path.join(root, "sandbox/dist/crypto/v2.js"));
const { gcmEncrypt, responseSigningMessage, rsaSignB64 } = await import(
  path.join(root, "sandbox/dist/crypto/v3.js")
);

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function waitFor(url) {
  for (let i = 0; i < 400; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** Resident set size of a process in bytes (Linux), or null. */
function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "minipay-bench-"));
fs.chmodSync(tmp, 0o755);
const [sbPort, sbTls, bePort, pgPort, peerPort] = await Promise.all(
  Array.from({ length: 5 }, () => freePort()),
);
const children = [];
// BENCH_PROFILE_DIR=/some/dir: CPU profiles of the backend and the peer app, written when they stop.
const nodeArgs = (file) =>
  process.env.BENCH_PROFILE_DIR && !file.includes("sandbox")
    ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
    : [];
const run = (file, env, args = file.includes("cli") ? ["start"] : []) => {
  const c = spawn(process.execPath, [...nodeArgs(file), file, ...args], {
    cwd: root,
    env: { ...process.env, ...env, LOG_LEVEL: "silent" },
    stdio: ["ignore", "pipe", "ignore"],
  });
  c.stdout.resume();
  children.push(c);
  return c;
};
const stopAll = async () => {
  for (const c of children) c.kill("SIGTERM");
  await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.on("exit", r)))));
  fs.rmSync(tmp, { recursive: true, force: true });
};

const load = { start: os.loadavg(), end: null };
const rows = []; // printed and written
let pool = null;

try {
  const sbData = path.join(tmp, "sandbox");
  run("sandbox/dist/cli.js", {
    SANDBOX_PORT: String(sbPort),
    SANDBOX_TLS_PORT: String(sbTls),
    SANDBOX_DATA_DIR: sbData,
  });
  const sandbox = `http://127.0.0.1:${sbPort}`;
  await waitFor(`${sandbox}/healthz`);
  const backend = run("backend/dist/main.js", {
    PORT: String(bePort),
    PG_PORT: String(pgPort),
    DATA_DIR: path.join(tmp, "data"),
    SANDBOX_URL: sandbox,
    SANDBOX_MERCHANTS: "v3-public-key,v2-hmac",
    SWEEPER_INTERVAL_MS: "0",
    // Each group measures its endpoint, not the payment checks the earlier groups' orders queue
    // (those run at full speed and would share the CPUs); the pending group measures the jobs with
    // its own backend.
    JOBS_ENABLED: "false",
    VERIFY_RATE_PER_MINUTE: "1000000",
    ORDER_RATE_PER_USER_PER_MINUTE: "1000000",
    MAX_OPEN_ORDERS_PER_USER: "1000",
    MAX_QUANTITY_PER_PRODUCT_PER_USER: "100000",
    // The admin case measures the list, not the per-key limit (its counter is still kept per request).
    ADMIN_RATE_PER_KEY_PER_MINUTE: "100000000",
    // The login group measures code2Session + session, not the per-client and per-app limits.
    LOGIN_RATE_PER_CLIENT_PER_MINUTE: "100000000",
    LOGIN_RATE_PER_APP_PER_MINUTE: "100000000",
  });
  const base = `http://127.0.0.1:${bePort}`;
  await waitFor(`${base}/readyz`);
  const keys = JSON.parse(fs.readFileSync(path.join(sbData, "keys.json"), "utf8"));
  const mv2 = keys.merchants.find((m) => m.name === "v2-hmac");
  const mv3 = keys.merchants.find((m) => m.name === "v3-public-key");
  const idOf = (m) => `mch_${m.mchid}`;
  pool = new pg.Pool({
    connectionString: `postgres://postgres:minipay-local@127.0.0.1:${pgPort}/minipay`,
    max: 2,
  });

  /** autocannon (bench/cannon.mjs) for `seconds`, or for exactly `list.length` POSTs taken from `list` in turn. */
  const bench = (
    title,
    { url, list, expected, connections = CONNECTIONS, duration = DURATION, method, headers, body },
  ) => {
    let i = 0;
    const fixed = Object.fromEntries(
      Object.entries({ method, headers, body }).filter(([, v]) => v !== undefined),
    );
    return cannon(title, {
      base: url,
      connections,
      duration,
      amount: list?.length,
      next: list
        ? () => {
            const b = list[i++ % list.length];
            return { method: "POST", headers: b.headers, body: b.body };
          }
        : () => fixed,
      expected,
    });
  };
  await bench("warm-up", { url: `${base}/healthz`, duration: 2 });
  const rss = { idleBytes: rssOf(backend.pid), underLoadMaxBytes: 0 };
  const sampler = setInterval(() => {
    rss.underLoadMaxBytes = Math.max(rss.underLoadMaxBytes, rssOf(backend.pid) ?? 0);
  }, 200);

  // The comparison app (bench/peer-app.mjs), started once for the groups that need it.
  let peerUrl = null;
  const startPeer = async () => {
    if (peerUrl) return peerUrl;
    run(
      "bench/peer-app.mjs",
      {
        PORT: String(peerPort),
        DATABASE_URL: `postgres://postgres:minipay-local@127.0.0.1:${pgPort}/minipay`,
        PEER_CONFIG: JSON.stringify({
          v2: { appid: mv2.appid, mchid: mv2.mchid, key: mv2.apiV2Key },
          v3: {
            appid: mv3.appid,
            mchid: mv3.mchid,
            apiV3Key: mv3.apiV3Key,
            publicKeyPem: keys.wechatPublicKeyPem,
            publicKeyId: keys.wechatPublicKeyId,
          },
          sandboxUrl: sandbox,
        }),
      },
      [],
    );
    peerUrl = `http://127.0.0.1:${peerPort}`;
    for (let i = 0; i < 100; i++) {
      try {
        await fetch(`${peerUrl}/`);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return peerUrl;
  };

  if (on("basic")) {
    const cases = [
      ["baseline GET /healthz", { url: `${base}/healthz` }, 200],
      ["GET /api/v1/products (database read)", { url: `${base}/api/v1/products?appid=${mv3.appid}` }, 200],
      [
        "POST /notify/wechat/v3/pay forged (rejected: signature check + one log row)",
        {
          url: `${base}/notify/wechat/${idOf(mv3)}/v3/pay`,
          method: "POST",
          headers: {
            "content-type": "application/json",
            "wechatpay-timestamp": String(Math.floor(Date.now() / 1000)),
            "wechatpay-nonce": "benchnonce",
            "wechatpay-serial": mv3.wechatPublicKeyId ?? keys.wechatPublicKeyId,
            "wechatpay-signature": "AAAA",
          },
          body: JSON.stringify({
            id: "x",
            resource: { ciphertext: "AAAA", nonce: "n", associated_data: "transaction" },
          }),
        },
        401,
      ],
    ];
    let baseline = null;
    for (const [title, opts, expected] of cases) {
      const r = await bench(title, { ...opts, expected });
      baseline ??= r.rps;
      rows.push({ group: "basic", ...r, ratio: r.rps / baseline, vs: "GET /healthz" });
    }
  }

  if (on("notify")) {
    const N = NOTIFY_ORDERS;
    await pool.query(`CREATE TABLE bench_peer_orders (out_trade_no text PRIMARY KEY, total_fen bigint NOT NULL,
      state text NOT NULL, transaction_id text, paid_at timestamptz)`);
    const seed = async (m, tag) => {
      const [u] = (
        await pool.query(`INSERT INTO users (merchant_id, appid, openid) VALUES ($1, $2, $3) RETURNING id`, [
          idOf(m),
          m.appid,
          `o-bench-${tag}`,
        ])
      ).rows;
      await pool.query(
        `INSERT INTO orders (user_id, merchant_id, out_trade_no, state, total_fen, description, idempotency_key,
           request_hash, expires_at)
         SELECT $1, $2, 'BN' || $3 || lpad(g::text, 7, '0'), 'paying', 100, 'bench', 'bench-' || $3 || g, 'h',
           now() + interval '2 hours' FROM generate_series(1, $4) g`,
        [u.id, idOf(m), tag, N],
      );
      await pool.query(
        `INSERT INTO bench_peer_orders (out_trade_no, total_fen, state)
         SELECT out_trade_no, total_fen, 'paying' FROM orders WHERE merchant_id = $1 AND out_trade_no LIKE 'BN%'`,
        [idOf(m)],
      );
    };
    await seed(mv2, "V2");
    await seed(mv3, "V3");
    const no = (tag, i) => `BN${tag}${String(i + 1).padStart(7, "0")}`;
    const txid = (digit, i) => `420000000120261126${digit}${String(i + 1).padStart(9, "0")}`;

    const v2Bodies = Array.from({ length: N }, (_, i) => {
      const f = {
        return_code: "SUCCESS",
        result_code: "SUCCESS",
        appid: mv2.appid,
        mch_id: mv2.mchid,
        nonce_str: crypto.randomBytes(8).toString("hex"),
        openid: "o-bench-V2",
        is_subscribe: "N",
        trade_type: "JSAPI",
        bank_type: "OTHERS",
        total_fee: "100",
        fee_type: "CNY",
        cash_fee: "100",
        transaction_id: txid(2, i),
        out_trade_no: no("V2", i),
        time_end: "20261126120000",
        sign_type: "HMAC-SHA256",
      };
      return {
        headers: { "content-type": "text/xml" },
        body: toXml({ ...f, sign: signV2(f, mv2.apiV2Key, "HMAC-SHA256") }),
      };
    });
    const v3Bodies = Array.from({ length: N }, (_, i) => {
      const nonce = crypto.randomBytes(6).toString("hex");
      const plain = {
        appid: mv3.appid,
        mchid: mv3.mchid,
        out_trade_no: no("V3", i),
        transaction_id: txid(3, i),
        trade_type: "JSAPI",
        trade_state: "SUCCESS",
        trade_state_desc: "支付成功",
        bank_type: "OTHERS",
        success_time: "2026-11-26T12:00:00+08:00",
        payer: { openid: "o-bench-V3" },
        amount: { total: 100, currency: "CNY", payer_total: 100, payer_currency: "CNY" },
      };
      const body = JSON.stringify({
        id: crypto.randomUUID(),
        create_time: "2026-11-26T12:00:01+08:00",
        resource_type: "encrypt-resource",
        event_type: "TRANSACTION.SUCCESS",
        summary: "支付成功",
        resource: {
          original_type: "transaction",
          algorithm: "AEAD_AES_256_GCM",
          ciphertext: gcmEncrypt(mv3.apiV3Key, nonce, "transaction", JSON.stringify(plain)),
          associated_data: "transaction",
          nonce,
        },
      });
      const ts = String(Math.floor(Date.now() / 1000));
      const n = crypto.randomBytes(16).toString("hex");
      return {
        headers: {
          "content-type": "application/json",
          "wechatpay-timestamp": ts,
          "wechatpay-nonce": n,
          "wechatpay-serial": keys.wechatPublicKeyId,
          "wechatpay-signature": rsaSignB64(responseSigningMessage(ts, n, body), keys.wechatKeyPem),
          "wechatpay-signature-type": "WECHATPAY2-SHA256-RSA2048",
        },
        body,
      };
    });

    const peer = await startPeer();
    const count = async (sql, params) => Number((await pool.query(sql, params)).rows[0].n);
    const paidHere = (m) =>
      count(
        `SELECT count(*)::int AS n FROM orders WHERE merchant_id = $1 AND out_trade_no LIKE 'BN%' AND state = 'paid'`,
        [idOf(m)],
      );
    const paidPeer = (tag) =>
      count(
        `SELECT count(*)::int AS n FROM bench_peer_orders WHERE out_trade_no LIKE $1 AND state = 'paid'`,
        [`BN${tag}%`],
      );

    for (const [v, m, list, ok, tag, sdk] of [
      ["v2", mv2, v2Bodies, 200, "V2", "tenpay 2.1.18 middleware"],
      ["v3", mv3, v3Bodies, 204, "V3", "wechatpay-node-v3 2.2.1 verifySign + decipher_gcm"],
    ]) {
      const minipay = `${base}/notify/wechat/${idOf(m)}/${v}/pay`;
      await bench(`warm-up ${v}`, { url: `${peer}/bare/${v}`, list: list.slice(0, 500), expected: ok });
      const bare = await bench(`${v} bare Koa route (read + parse)`, {
        url: `${peer}/bare/${v}`,
        list,
        expected: ok,
      });
      const peerFirst = await bench(`${v} peer first delivery (Koa + ${sdk} + UPDATE)`, {
        url: `${peer}/peer/${v}`,
        list,
        expected: ok,
      });
      if ((await paidPeer(tag)) !== N) throw new Error(`${v} peer: not every order was paid`);
      const mpFirst = await bench(`${v} Minipay first delivery`, { url: minipay, list, expected: ok });
      if ((await paidHere(m)) !== N) throw new Error(`${v} Minipay: not every order was paid`);
      const peerDup = await bench(`${v} peer duplicate`, { url: `${peer}/peer/${v}`, list, expected: ok });
      const mpDup = await bench(`${v} Minipay duplicate`, { url: minipay, list, expected: ok });
      const moved = await count(
        `SELECT count(*)::int AS n FROM order_events e JOIN orders o ON o.id = e.order_id
         WHERE o.merchant_id = $1 AND o.out_trade_no LIKE 'BN%' AND e.type = 'transition'`,
        [idOf(m)],
      );
      if (moved !== N) throw new Error(`${v} Minipay: ${moved} transitions for ${N} orders`);
      rows.push(
        { group: "notify", ...bare, ratio: 1, vs: "bare" },
        { group: "notify", ...peerFirst, ratio: peerFirst.rps / bare.rps, vs: "bare" },
        {
          group: "notify",
          ...mpFirst,
          ratio: mpFirst.rps / peerFirst.rps,
          vs: "peer first",
          ofBare: mpFirst.rps / bare.rps,
        },
        { group: "notify", ...peerDup, ratio: peerDup.rps / bare.rps, vs: "bare" },
        {
          group: "notify",
          ...mpDup,
          ratio: mpDup.rps / peerDup.rps,
          vs: "peer duplicate",
          ofBare: mpDup.rps / bare.rps,
        },
      );
    }
  }

  if (on("prepay")) {
    // Create an order and ask for its JSAPI payment (the sandbox answers the prepay): two requests
    // per order, one user per client so the open-order limit is not what is measured. Against the
    // peer (tenpay getPayParams + one INSERT, v2 like tenpay), per protocol.
    const minipayPrepay = async (m, label) => {
      const users = [];
      for (let i = 0; i < PREPAY_CONNECTIONS; i++) {
        const code = await (
          await fetch(`${sandbox}/__sandbox/login-codes`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ appid: m.appid, openid: `o-prepay-${label}-${i}` }),
          })
        ).json();
        const s = await (
          await fetch(`${base}/api/v1/session`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ code: code.code, appid: m.appid }),
          })
        ).json();
        users.push(s.token);
      }
      const products = (await (await fetch(`${base}/api/v1/products?appid=${m.appid}`)).json()).products;
      await pool.query(`UPDATE products SET stock = 100000000`);
      const product = products[0].id;
      let made = 0;
      const r = await new Promise((resolve, reject) =>
        autocannon(
          {
            url: base,
            connections: PREPAY_CONNECTIONS,
            duration: DURATION,
            requests: [
              {
                method: "POST",
                path: "/api/v1/orders",
                setupRequest: (req, ctx) => {
                  ctx.token = users[made++ % users.length];
                  return {
                    ...req,
                    headers: {
                      "content-type": "application/json",
                      authorization: `Bearer ${ctx.token}`,
                      "idempotency-key": crypto.randomUUID(),
                    },
                    body: JSON.stringify({ items: [{ productId: product, quantity: 1 }] }),
                  };
                },
                onResponse: (status, body, ctx) => {
                  ctx.orderId = status === 201 ? JSON.parse(body).id : null;
                },
              },
              {
                method: "POST",
                setupRequest: (req, ctx) => ({
                  ...req,
                  path: `/api/v1/orders/${ctx.orderId}/payments`,
                  headers: { "content-type": "application/json", authorization: `Bearer ${ctx.token}` },
                  body: JSON.stringify({ method: "jsapi" }),
                }),
              },
            ],
          },
          (err, res) => (err ? reject(err) : resolve(res)),
        ),
      );
      const codes = r.statusCodeStats ?? {};
      const bad = Object.keys(codes).filter((c) => c !== "200" && c !== "201");
      if (r.errors > 0 || bad.length > 0)
        throw new Error(`create + prepay ${label}: saw ${JSON.stringify(codes)} and ${r.errors} errors`);
      return { rps: (codes["201"]?.count ?? 0) / r.duration, r };
    };
    const peer = await startPeer();
    await pool.query(`CREATE TABLE IF NOT EXISTS bench_peer_prepay (out_trade_no text PRIMARY KEY,
      openid text NOT NULL, total_fen bigint NOT NULL, state text NOT NULL, created_at timestamptz DEFAULT now())`);
    let n = 0;
    const pr = await new Promise((resolve, reject) =>
      autocannon(
        {
          url: `${peer}/peer/prepay`,
          connections: PREPAY_CONNECTIONS,
          duration: DURATION,
          method: "POST",
          requests: [
            {
              setupRequest: (req) => ({
                ...req,
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ openid: `o-peer-${n++ % PREPAY_CONNECTIONS}` }),
              }),
            },
          ],
        },
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
    const pcodes = pr.statusCodeStats ?? {};
    if (pr.errors > 0 || Object.keys(pcodes).some((c) => c !== "201"))
      throw new Error(`peer create + prepay: saw ${JSON.stringify(pcodes)} and ${pr.errors} errors`);
    const peerRow = {
      group: "prepay",
      title: `peer create + prepay (tenpay 2.1.18 getPayParams + INSERT, v2), ${PREPAY_CONNECTIONS} clients`,
      rps: (pcodes["201"]?.count ?? 0) / pr.duration,
      p50ms: pr.latency.p50,
      p99ms: pr.latency.p99,
      requests: pr.requests.total,
      seconds: pr.duration,
      unit: "orders/s",
      ratio: null,
      vs: "the peer",
    };
    rows.push(peerRow);
    for (const [m, label] of [
      [mv2, "v2"],
      [mv3, "v3"],
    ]) {
      const { rps, r } = await minipayPrepay(m, label);
      rows.push({
        group: "prepay",
        title: `Minipay create order + JSAPI prepay (${label}), ${PREPAY_CONNECTIONS} clients`,
        rps,
        p50ms: r.latency.p50,
        p99ms: r.latency.p99,
        requests: r.requests.total,
        seconds: r.duration,
        unit: "orders/s",
        ratio: rps / peerRow.rps,
        vs: "peer (v2)",
      });
    }
  }
  if (on("verify") || on("login"))
    rows.push(
      ...(await verifyLoginBench({
        root,
        groups: { verify: on("verify"), login: on("login") },
        base,
        sandbox,
        pool,
        startPeer,
        connections: CONNECTIONS,
        duration: DURATION,
      })),
    );
  clearInterval(sampler);
  // The pending group runs its own sandbox and backend (job timings of its own), on this PostgreSQL.
  const pending = on("pending")
    ? await pendingBench({
        root,
        pool,
        pgUrl: `postgres://postgres:minipay-local@127.0.0.1:${pgPort}`,
        children,
        tmp,
        freePort,
        waitFor,
        rssOf,
      })
    : null;
  load.end = os.loadavg();

  const fmt = (b) => (b ? `${(b / 1024 / 1024).toFixed(0)} MB` : "n/a");
  console.log(
    `\nMinipay bench (${CONNECTIONS} connections, ${os.cpus().length} CPUs, node ${process.version}; load average ` +
      `${load.start.map((x) => x.toFixed(2)).join(" ")} at start, ${load.end.map((x) => x.toFixed(2)).join(" ")} at end)`,
  );
  for (const r of rows)
    console.log(
      `  ${r.title.padEnd(78)} ${r.rps.toFixed(0).padStart(6)} ${r.unit ?? "req/s"}  p50 ${String(r.p50ms).padStart(3)} ms  p99 ${String(r.p99ms).padStart(4)} ms` +
        (r.ratio == null ? `  (${r.vs})` : `  ×${r.ratio.toFixed(2)} of ${r.vs}`) +
        (r.ofBare ? `, ×${r.ofBare.toFixed(2)} of bare` : "") +
        (r.note ? `; ${r.note}` : ""),
    );
  console.log(
    `  backend RSS: idle ${fmt(rss.idleBytes)}, under load (max sampled) ${fmt(rss.underLoadMaxBytes)}`,
  );
  const targets = [];
  for (const v of ["v2", "v3"]) {
    const first = rows.find((r) => r.title === `${v} Minipay first delivery`);
    const dup = rows.find((r) => r.title === `${v} Minipay duplicate`);
    if (!first || !dup) continue;
    targets.push(
      `${v} first ≥ 1.0× peer: ${first.ratio >= 1 ? "met" : "NOT met"} (×${first.ratio.toFixed(2)})`,
      `${v} duplicate ≥ 2.0× peer: ${dup.ratio >= 2 ? "met" : "NOT met"} (×${dup.ratio.toFixed(2)})`,
      `${v} p99 < 50 ms: ${Math.max(first.p99ms, dup.p99ms) < 50 ? "met" : "NOT met"} (${first.p99ms} / ${dup.p99ms} ms)`,
    );
  }
  const prepayV2 = rows.find((r) => r.title.startsWith("Minipay create order + JSAPI prepay (v2)"));
  if (prepayV2)
    targets.push(
      `create + prepay (v2) ≥ 0.5× peer: ${prepayV2.ratio >= 0.5 ? "met" : "NOT met"} (×${prepayV2.ratio.toFixed(2)})`,
    );
  for (const t of targets) console.log(`  target ${t}`);
  if (pending) printPending(pending);

  // Merge: a run of some groups keeps the other groups' last figures (a group run now replaces all
  // of its old rows, also those whose titles changed, and any row of the same title).
  const titles = new Set(rows.map((r) => r.title));
  const file = path.join(root, "bench", "results", "latest.json");
  let prev = {};
  try {
    prev = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    /* first run */
  }
  const merged = {
    ...prev,
    at: new Date().toISOString(),
    connections: CONNECTIONS,
    seconds: DURATION,
    machine: { cpus: os.cpus().length, node: process.version, loadAverage: load },
    results: [...(prev.results ?? []).filter((r) => !on(r.group) && !titles.has(r.title)), ...rows],
    backendRss: rss,
    ...(on("notify") ? { notify: { orders: NOTIFY_ORDERS, targets } } : {}),
    ...(pending ? { pending } : {}),
  };
  fs.writeFileSync(file, JSON.stringify(merged, null, 2) + "\n");
  console.log(`  written to ${path.relative(root, file)}`);

  if (on("admin")) {
    // The admin case's own runner: raw autocannon results, every answer the expected status.
    const raw = async (title, { path: p, ...opts }, expected) => {
      const r = await new Promise((resolve, reject) =>
        autocannon(
          { url: base + p, connections: CONNECTIONS, duration: DURATION, ...opts, title },
          (err, res) => (err ? reject(err) : resolve(res)),
        ),
      );
      const seen = Object.keys(r.statusCodeStats ?? {});
      if (expected !== undefined && (r.errors > 0 || seen.some((code) => Number(code) !== expected)))
        throw new Error(`${title}: expected only ${expected}, saw ${JSON.stringify(r.statusCodeStats)}`);
      return r;
    };
    const admin = await adminBench({
      root,
      base,
      databaseUrl: `postgres://postgres:minipay-local@127.0.0.1:${pgPort}/minipay`,
      bench: raw,
      connections: 10,
      duration: DURATION,
    });
    printAdmin(root, admin);
  }
} finally {
  await pool?.end();
  await stopAll();
}
