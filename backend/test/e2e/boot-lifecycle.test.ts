/**
 * The zero-config start, as `npm start` runs it: the compiled backend (node backend/dist/main.js)
 * with no DATABASE_URL starts embedded PostgreSQL in DATA_DIR, configures its merchant from the
 * sandbox and serves /readyz; SIGTERM drains and exits 0 with no postgres process left; a second
 * start reuses the data; a stale postmaster.pid is cleared; a bad variable stops it by name.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../src/db/embedded-postgres";
import { eventually, startTestSandbox, type Sandbox } from "../helpers/sandbox-stack";
import { buildBackend, repoRoot } from "../helpers/build";

const root = repoRoot;
let sandbox: Sandbox;
let dataDir: string;

beforeAll(async () => {
  buildBackend();
  sandbox = await startTestSandbox();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "minipay-boot-"));
  fs.chmodSync(dataDir, 0o755);
}, 120_000);
afterAll(async () => {
  await sandbox?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

function postgresProcessesFor(dir: string): string[] {
  const out = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
  return out.split("\n").filter((l) => /postgres/.test(l) && l.includes(dir));
}

function startBackend(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  let out = "";
  const child = spawn(process.execPath, [path.join(root, "backend/dist/main.js")], {
    cwd: root,
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, output: () => out, exited };
}

describe("backend process lifecycle", () => {
  it("starts with embedded PostgreSQL, stops on SIGTERM with nothing left, restarts on the same data", async () => {
    const port = String(await freePort());
    const env = {
      PORT: port,
      DATA_DIR: dataDir,
      PG_PORT: String(await freePort()),
      SANDBOX_URL: sandbox.url,
      SANDBOX_MERCHANTS: "v2-md5",
      LOG_LEVEL: "info",
      LOG_PRETTY: "false",
    };
    const url = `http://127.0.0.1:${port}`;
    const first = startBackend(env);
    await eventually(async () => (await fetch(`${url}/readyz`)).status === 200, 30_000);
    const cfg: any = await (await fetch(`${url}/api/v1/config`)).json();
    expect(cfg.sandboxUrl).toBe(sandbox.url);
    expect(JSON.stringify(cfg)).not.toMatch(/secret|key/i);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(postgresProcessesFor(dataDir)).toEqual([]);
    expect(first.output()).not.toMatch(/BEGIN (RSA )?PRIVATE KEY|appsecret/);

    // A crashed run leaves a postmaster.pid whose process is gone: the next start must cope.
    fs.writeFileSync(path.join(dataDir, "pg", "postmaster.pid"), `999999\n${path.join(dataDir, "pg")}\n`);
    const second = startBackend(env);
    await eventually(async () => (await fetch(`${url}/readyz`)).status === 200, 30_000);
    const products: any = await (await fetch(`${url}/api/v1/products`)).json();
    expect(products.products.length).toBeGreaterThan(0);
    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
    expect(postgresProcessesFor(dataDir)).toEqual([]);
  }, 90_000);

  it("refuses a bad configuration with a message naming the variable", async () => {
    const p = startBackend({ PORT: "not-a-port", DATA_DIR: dataDir });
    expect(await p.exited).toBe(1);
    expect(p.output()).toMatch(/PORT/);
    expect(p.output()).not.toMatch(/\n\s+at /); // no stack trace
  });
});
