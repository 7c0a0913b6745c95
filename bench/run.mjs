#!/usr/bin/env node
// `npm run bench`: builds, starts the sandbox and the backend (embedded PostgreSQL in a temp dir)
// on free ports, and measures with autocannon. Every figure is printed as a ratio against a
// baseline measured in the same run on the same machine (GET /healthz, no database), so results
// compare across machines. Loopback only, bounded in time.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);

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
    SWEEPER_INTERVAL_MS: "0",
    VERIFY_RATE_PER_MINUTE: "1000000",
  });
  const base = `http://127.0.0.1:${bePort}`;
  await waitFor(`${base}/readyz`);

  const bench = (title, { path: p, ...opts }) =>
    new Promise((resolve, reject) =>
      autocannon(
        { url: base + p, connections: CONNECTIONS, duration: DURATION, ...opts, title },
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
  await bench("warm-up", { path: "/healthz", duration: 2 });

  const cases = [
    ["baseline GET /healthz", { path: "/healthz" }, 200],
    ["GET /api/v1/products (database read)", { path: "/api/v1/products" }, 200],
    [
      "POST /notify/wechat/v3/pay forged (rejected: signature check + one log row)",
      {
        path: "/notify/wechat/v3/pay",
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
  for (const [title, opts, expected] of cases) {
    const r = await bench(title, opts);
    const seen = Object.keys(r.statusCodeStats ?? {});
    // A benchmark of the wrong answer is worthless: every response must have the expected status.
    if (r.errors > 0 || seen.some((code) => Number(code) !== expected))
      throw new Error(
        `${title}: expected only ${expected}, saw ${JSON.stringify(r.statusCodeStats)} and ${r.errors} errors`,
      );
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
} finally {
  await stopAll();
}
