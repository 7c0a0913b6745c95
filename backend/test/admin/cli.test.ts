/**
 * The operator's side, as built: `npm start`'s backend (dist/main.js) makes an all-scope admin key
 * on its first start only and prints it once; the `minipay` CLI (dist, through the committed bin
 * shim and through `npx minipay` from the repo root) lists merchants, creates keys (the key on the
 * last line), lists and revokes them, against the same database as the running backend.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ADMIN_PREFIX, ADMIN_SCOPES } from "@minipay/shared";
import { freePort } from "../../src/db/embedded-postgres";
import { createTestDatabaseUrl } from "../helpers/db";
import { eventually, startTestSandbox, type Sandbox } from "../helpers/sandbox-stack";
import { buildBackend, repoRoot } from "../helpers/build";

const root = repoRoot;
let sandbox: Sandbox;
let dataDir: string;
let databaseUrl: string;
let backend: { child: ChildProcess; output: () => string; exited: Promise<number | null> } | null = null;
let url: string;

beforeAll(async () => {
  buildBackend();
  sandbox = await startTestSandbox();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "minipay-cli-"));
  databaseUrl = await createTestDatabaseUrl();
}, 120_000);
afterAll(async () => {
  if (backend && backend.child.exitCode === null) {
    backend.child.kill("SIGTERM");
    await backend.exited;
  }
  await sandbox?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

async function startBackend(env: Record<string, string> = { DATABASE_URL: databaseUrl }) {
  const port = String(await freePort());
  let out = "";
  const child = spawn(process.execPath, [path.join(root, "backend/dist/main.js")], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      PORT: port,
      DATA_DIR: dataDir,
      ...env,
      SANDBOX_URL: sandbox.url,
      SANDBOX_MERCHANTS: "v3-public-key,v2-md5",
      SWEEPER_INTERVAL_MS: "0",
      LOG_LEVEL: "info",
      LOG_PRETTY: "false",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  url = `http://127.0.0.1:${port}`;
  await eventually(async () => (await fetch(`${url}/readyz`)).status === 200, 30_000);
  return { child, output: () => out, exited };
}

async function stopBackend() {
  backend!.child.kill("SIGTERM");
  expect(await backend!.exited).toBe(0);
  backend = null;
}

function cli(
  args: string[],
  how: "bin" | "npx" = "bin",
  env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
  },
) {
  const r =
    how === "bin"
      ? spawnSync(path.join(root, "backend/bin/minipay.js"), args, { cwd: root, env, encoding: "utf8" })
      : spawnSync("npx", ["--no-install", "minipay", ...args], {
          cwd: root,
          env: { ...env, HOME: process.env.HOME },
          encoding: "utf8",
        });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stdout.trim().split("\n") };
}

const admin = async (method: string, p: string, key: string): Promise<{ status: number; body: any }> => {
  const res = await fetch(url + ADMIN_PREFIX + p, { method, headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
};

let firstKey: string;
let merchants: string[];

describe("first start", () => {
  it("prints an all-scope key once, for the first sandbox merchant; a restart prints none", async () => {
    backend = await startBackend();
    const m = /Admin API key for (mch_\w+)[^\n]*\n(mk_[A-Za-z0-9_-]{43})\n/.exec(backend.output());
    expect(m).not.toBeNull();
    firstKey = m![2]!;
    expect(backend.output().split(firstKey)).toHaveLength(2); // exactly once
    const keys = await admin("GET", "/keys", firstKey);
    expect(keys.status).toBe(200);
    expect(keys.body.keys).toEqual([
      expect.objectContaining({ name: "first key", scopes: [...ADMIN_SCOPES], revokedAt: null }),
    ]);
    await stopBackend();

    backend = await startBackend();
    expect(backend.output()).not.toMatch(/mk_[A-Za-z0-9_-]{43}/);
    expect(backend.output()).not.toMatch(/Admin API key/);
    expect((await admin("GET", "/products", firstKey)).status).toBe(200);
  }, 90_000);
});

describe("minipay CLI", () => {
  it("merchant list: one merchant per line, its id first", () => {
    const r = cli(["merchant", "list"]);
    expect(r.status).toBe(0);
    merchants = r.lines.map((l) => l.split("\t")[0]!);
    expect(merchants).toHaveLength(2);
    for (const id of merchants) expect(id).toMatch(/^mch_\d+$/);
  });

  it("key create prints the key on its last line; it works at once for its scopes only", async () => {
    const several = cli(["key", "create", "--scopes", "all"]);
    expect(several.status).toBe(2);
    expect(several.stderr).toMatch(/--merchant/);

    const r = cli([
      "key",
      "create",
      "--scopes",
      "products:read,audit:read",
      "--merchant",
      merchants[1]!,
      "--name",
      "ops",
    ]);
    expect(r.status).toBe(0);
    const key = r.lines[r.lines.length - 1]!;
    expect(key).toMatch(/^mk_[A-Za-z0-9_-]{43}$/);
    expect((await admin("GET", "/products", key)).status).toBe(200);
    expect((await admin("GET", "/keys", key)).status).toBe(403);
    const audit = await admin("GET", "/audit", key);
    expect(audit.body.entries[0]).toMatchObject({
      action: "api_key.create",
      actor: { keyId: null, keyName: "cli" },
    });

    const list = cli(["key", "list", "--merchant", merchants[1]!]);
    expect(list.status).toBe(0);
    expect(list.stdout).not.toContain(key.slice(11));
    const line = list.lines.find((l) => l.includes("\tops"))!;
    expect(line).toContain(`${key.slice(0, 11)}…`);
    expect(line).toContain("active");

    const id = line.split("\t")[0]!;
    const revoke = cli(["key", "revoke", id]);
    expect(revoke.status).toBe(0);
    expect((await admin("GET", "/products", key)).status).toBe(401);
    expect(cli(["key", "list"]).lines.find((l) => l.startsWith(id))).toContain("revoked");
  });

  it("refuses bad usage with exit code 2", () => {
    for (const args of [
      ["key", "create", "--scopes", "orders:read,root", "--merchant", merchants[0]!],
      ["key", "create", "--scopes", "all", "--merchant", "mch_0"],
      ["key", "revoke"],
      ["key", "revoke", "00000000-0000-4000-8000-000000000000"],
      ["frobnicate"],
      ["key", "list", "--bogus"],
    ]) {
      const r = cli(args);
      expect([args.join(" "), r.status]).toEqual([args.join(" "), 2]);
    }
  });

  it("runs as `npx minipay` from the repository root", () => {
    const r = cli(["merchant", "list"], "npx");
    expect(r.status).toBe(0);
    expect(r.lines.map((l) => l.split("\t")[0])).toEqual(merchants);
  }, 30_000);
});

describe("minipay CLI on the embedded PostgreSQL (no DATABASE_URL)", () => {
  const embeddedDir = () => path.join(dataDir, "embedded");
  const postgresFor = (dir: string) =>
    spawnSync("ps", ["-eo", "pid,args"], { encoding: "utf8" })
      .stdout.split("\n")
      .filter((l) => /postgres/.test(l) && l.includes(dir));

  it("attaches to the running backend's server without stopping it, or runs its own and stops it", async () => {
    if (backend) await stopBackend();
    fs.mkdirSync(embeddedDir(), { recursive: true });
    fs.chmodSync(dataDir, 0o755);
    fs.chmodSync(embeddedDir(), 0o755);
    const pgPort = String(await freePort());
    backend = await startBackend({ DATA_DIR: embeddedDir(), PG_PORT: pgPort });
    const env = { PATH: process.env.PATH, DATA_DIR: embeddedDir(), PG_PORT: String(await freePort()) };
    const r = cli(["merchant", "list"], "bin", env);
    expect(r.status).toBe(0);
    expect(r.lines).toHaveLength(2);
    const created = cli(
      ["key", "create", "--scopes", "products:read", "--merchant", r.lines[0]!.split("\t")[0]!],
      "bin",
      env,
    );
    expect(created.status).toBe(0);
    // The backend kept its database: it is still ready and knows the key the CLI made.
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect((await admin("GET", "/products", created.lines[created.lines.length - 1]!)).status).toBe(200);
    await stopBackend();
    expect(postgresFor(embeddedDir())).toEqual([]);

    const alone = cli(["key", "list"], "bin", env);
    expect(alone.status).toBe(0);
    expect(alone.stdout).toContain("products:read");
    expect(postgresFor(embeddedDir())).toEqual([]);
  }, 120_000);
});
