#!/usr/bin/env node
// `npm start`: build what is missing or stale, start the WeChat sandbox and the backend (with its
// embedded PostgreSQL), wait until both answer, print where to go. Ctrl-C stops both cleanly.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const t0 = Date.now();
const backendPort = process.env.PORT ?? "3000";
const sandboxPort = process.env.SANDBOX_PORT ?? "3100";
const sandboxUrl = process.env.SANDBOX_URL ?? `http://127.0.0.1:${sandboxPort}`;

function newest(dir) {
  let t = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

function buildIfStale(label, srcDirs, outMarker, args) {
  const out = path.join(root, outMarker);
  const srcTime = Math.max(...srcDirs.map((d) => newest(path.join(root, d))));
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= srcTime) return;
  console.log(`[start] building ${label}…`);
  const r = spawnSync("npm", args, { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) {
    console.error(`[start] building ${label} failed`);
    process.exit(1);
  }
}

buildIfStale("shared", ["shared/src"], "shared/dist/index.js", ["run", "build", "-w", "@minipay/shared"]);
buildIfStale("sandbox", ["sandbox/src"], "sandbox/dist/cli.js", ["run", "build", "-w", "@minipay/sandbox"]);
buildIfStale("backend", ["backend/src", "shared/src"], "backend/dist/main.js", [
  "run",
  "build",
  "-w",
  "@minipay/backend",
]);
buildIfStale("H5 shop", ["miniprogram/src", "shared/src"], "miniprogram/dist/build/h5/index.html", [
  "run",
  "build:h5",
]);
buildIfStale("merchant console", ["console/src", "shared/src"], "console/dist/index.html", [
  "run",
  "build",
  "-w",
  "@minipay/console",
]);

const children = [];
function run(name, file, args, env) {
  const child = spawn(process.execPath, [file, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // Own process group: a terminal's Ctrl-C reaches only this script, which stops the children in order.
    detached: true,
  });
  const prefix = (stream, out) =>
    stream.on("data", (d) => {
      for (const line of d.toString().split("\n")) if (line) out.write(`[${name}] ${line}\n`);
    });
  prefix(child.stdout, process.stdout);
  prefix(child.stderr, process.stderr);
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`[start] ${name} exited (${signal ?? code}); stopping`);
      stop(1);
    }
  });
  children.push(child);
  return child;
}

async function waitFor(url, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return true;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return false;
}

let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  console.log("[start] stopping…");
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  const hard = setTimeout(() => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    process.exit(code || 1);
  }, 12_000);
  Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.on("exit", r))))).then(
    () => {
      clearTimeout(hard);
      process.exit(code);
    },
  );
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

const tStart = Date.now();
run("sandbox", "sandbox/dist/cli.js", ["start"], {
  SANDBOX_PORT: sandboxPort,
  SANDBOX_DATA_DIR: process.env.SANDBOX_DATA_DIR ?? "data/sandbox",
});
if (!(await waitFor(`${sandboxUrl}/healthz`, 30_000))) {
  console.error("[start] the sandbox did not come up");
  stop(1);
} else {
  // The local demo's webhook receivers run on this machine: allow loopback and http:// here only.
  run("backend", "backend/dist/main.js", [], {
    PORT: backendPort,
    SANDBOX_URL: sandboxUrl,
    ALLOW_PRIVATE_WEBHOOKS: process.env.ALLOW_PRIVATE_WEBHOOKS ?? "true",
  });
  const backend = `http://127.0.0.1:${backendPort}`;
  if (!(await waitFor(`${backend}/readyz`, 60_000))) {
    console.error("[start] the backend did not become ready");
    stop(1);
  } else {
    console.log(`
[start] Minipay is up (${((Date.now() - tStart) / 1000).toFixed(1)} s to ready, ${((Date.now() - t0) / 1000).toFixed(1)} s in all)
  Shop (H5, pays through the sandbox cashier):  ${backend}/app/
  Merchant console (sign in with an admin key): ${backend}/console/
  Backend API:                                  ${backend}/api/v1/products
  Admin API (Bearer mk_…; first start prints a key above, more: npx minipay key create --scopes all):
                                                ${backend}/admin/v1/products
  Health:                                       ${backend}/readyz
  WeChat sandbox (control API):                 ${sandboxUrl}/__sandbox/merchants
Press Ctrl-C to stop.`);
  }
}
