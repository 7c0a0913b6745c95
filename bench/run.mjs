#!/usr/bin/env node
// `npm run bench`: builds, starts the sandbox and the backend (embedded PostgreSQL in a temp dir)
// on free ports, and measures with autocannon. Every figure is printed as a ratio against a
// baseline measured in the same run on the same machine (GET /healthz, no database), so results
// compare across machines. Loopback only, bounded in time.
//
//   npm run bench              every case
//   npm run bench -- http      the HTTP cases only (baseline, products, forged notify)
//   npm run bench -- admin     the admin case only (1,000,000 orders; see bench/admin.mjs)
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { adminBench, printAdmin } from "./admin.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const SELECTED = process.argv[2] ?? "all";
if (!["all", "http", "admin"].includes(SELECTED)) {
  console.error(`unknown bench case ${SELECTED} (all, http or admin)`);
  process.exit(2);
}
const want = (c) => SELECTED === "all" || SELECTED === c;

for (const w of ["@minipay/shared", "@minipay/sandbox", "@minipay/backend"]) {
  const r = spawnSync("npm", ["run", "build", "-w", w], { cwd: root, stdio: "ignore" });
  if (r.status !== 0) throw new Error(`build of ${w} failed`);
}

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

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "minipay-bench-"));
fs.chmodSync(tmp, 0o755);
const [sbPort, sbTls, bePort, pgPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
const children = [];
const run = (file, env) => {
  const c = spawn(process.execPath, [file, ...(file.includes("cli") ? ["start"] : [])], {
    cwd: root,
    env: { ...process.env, ...env, LOG_LEVEL: "silent" },
    stdio: "ignore",
  });
  children.push(c);
  return c;
};
const stopAll = async () => {
  for (const c of children) c.kill("SIGTERM");
  await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.on("exit", r)))));
  fs.rmSync(tmp, { recursive: true, force: true });
};

try {
  run("sandbox/dist/cli.js", {
    SANDBOX_PORT: String(sbPort),
    SANDBOX_TLS_PORT: String(sbTls),
    SANDBOX_DATA_DIR: path.join(tmp, "sandbox"),
  });
  const sandbox = `http://127.0.0.1:${sbPort}`;
  await waitFor(`${sandbox}/healthz`);
  run("backend/dist/main.js", {
    PORT: String(bePort),
    PG_PORT: String(pgPort),
    DATA_DIR: path.join(tmp, "data"),
    SANDBOX_URL: sandbox,
    // Two merchants: the admin case spreads its orders across both.
    SANDBOX_MERCHANTS: "v3-public-key,v2-md5",
    SWEEPER_INTERVAL_MS: "0",
    VERIFY_RATE_PER_MINUTE: "1000000",
    // The admin case measures the list, not the per-key limit (its counter is still kept per request).
    ADMIN_RATE_PER_KEY_PER_MINUTE: "100000000",
  });
  const base = `http://127.0.0.1:${bePort}`;
  await waitFor(`${base}/readyz`);

  // One autocannon run; a benchmark of the wrong answer is worthless, so every response must
  // have the expected status.
  const bench = async (title, { path: p, ...opts }, expected) => {
    const r = await new Promise((resolve, reject) =>
      autocannon(
        { url: base + p, connections: CONNECTIONS, duration: DURATION, ...opts, title },
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
    const seen = Object.keys(r.statusCodeStats ?? {});
    if (expected !== undefined && (r.errors > 0 || seen.some((code) => Number(code) !== expected)))
      throw new Error(
        `${title}: expected only ${expected}, saw ${JSON.stringify(r.statusCodeStats)} and ${r.errors} errors`,
      );
    return r;
  };
  await bench("warm-up", { path: "/healthz", duration: 2 });

  // With two merchants, a shopper's request names its mini-program.
  const merchantsDoc = await (await fetch(`${sandbox}/__sandbox/merchants`)).json();
  const v3Merchant = merchantsDoc.merchants.find((m) => m.name === "v3-public-key");
  const appid = v3Merchant.appid;
  const cases = [
    ["baseline GET /healthz", { path: "/healthz" }, 200],
    ["GET /api/v1/products (database read)", { path: `/api/v1/products?appid=${appid}` }, 200],
    [
      "POST /notify/wechat/{merchant}/v3/pay forged (rejected: signature check + one log row)",
      {
        // The merchant's own notify URL (the legacy /notify/wechat/v3/pay belongs to the oldest merchant).
        path: `/notify/wechat/mch_${v3Merchant.mchid}/v3/pay`,
        method: "POST",
        headers: {
          "content-type": "application/json",
          "wechatpay-timestamp": String(Math.floor(Date.now() / 1000)),
          "wechatpay-nonce": "benchnonce",
          "wechatpay-serial": "PUB_KEY_ID_0000000000000000000000000000000000",
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
  const results = [];
  let baseline = null;
  for (const [title, opts, expected] of want("http") ? cases : []) {
    const r = await bench(title, opts, expected);
    const rps = r.requests.average;
    baseline ??= rps;
    results.push({
      title,
      rps,
      p99ms: r.latency.p99,
      non2xx: r.non2xx,
      errors: r.errors,
      ratio: rps / baseline,
    });
  }
  const admin = want("admin")
    ? await adminBench({
        root,
        base,
        databaseUrl: `postgres://postgres:minipay-local@127.0.0.1:${pgPort}/minipay`,
        bench,
        connections: 10,
        duration: DURATION,
      })
    : null;
  if (want("http")) {
    const rss = process.memoryUsage().rss;
    console.log(
      `\nMinipay bench (${CONNECTIONS} connections × ${DURATION}s, ${os.cpus().length} cores, node ${process.version})`,
    );
    for (const r of results)
      console.log(
        `  ${r.title.padEnd(72)} ${r.rps.toFixed(0).padStart(7)} req/s  p99 ${String(r.p99ms).padStart(4)} ms  ×${r.ratio.toFixed(2)} of baseline`,
      );
    const file = path.join(root, "bench", "results", "latest.json");
    fs.writeFileSync(
      file,
      JSON.stringify(
        { at: new Date().toISOString(), connections: CONNECTIONS, seconds: DURATION, results, benchRss: rss },
        null,
        2,
      ) + "\n",
    );
    console.log(`  written to ${path.relative(root, file)}`);
  }
  if (admin) printAdmin(root, admin);
} finally {
  await stopAll();
}
