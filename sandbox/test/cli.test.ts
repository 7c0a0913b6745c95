/** The minipay-sandbox CLI, built and run as a user would. */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { until } from "./helpers";

const root = path.resolve(__dirname, "../..");
const cli = path.join(root, "sandbox/dist/cli.js");
const free = () =>
  new Promise<number>((r) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => r(p));
    });
  });

let dir: string;
let port: number;
let child: ReturnType<typeof spawn>;
const run = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], {
    encoding: "utf8",
    env: { ...process.env, SANDBOX_URL: `http://127.0.0.1:${port}` },
  });

beforeAll(async () => {
  const b = spawnSync("npm", ["run", "build", "-w", "@minipay/sandbox"], { cwd: root, encoding: "utf8" });
  if (b.status !== 0) throw new Error(b.stdout + b.stderr);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "minipay-cli-"));
  port = await free();
  child = spawn(
    process.execPath,
    [
      cli,
      "start",
      "--port",
      String(port),
      "--tls-port",
      String(await free()),
      "--data-dir",
      dir,
      "--seed",
      "minipay-tests",
    ],
    {
      stdio: "ignore",
      env: { ...process.env, LOG_LEVEL: "silent" },
    },
  );
  await until(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok, 20_000);
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill("SIGTERM");
    await new Promise((r) => child.on("exit", r));
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("minipay-sandbox CLI", () => {
  it("prints help, and fails on an unknown command", () => {
    expect(run("help").stdout).toContain("minipay-sandbox start");
    expect(run("frobnicate").status).toBe(1);
  });

  it("config prints what the backend needs", () => {
    const r = run("config", "--merchant", "v2-hmac");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("SANDBOX_MERCHANTS=v2-hmac");
    expect(r.stdout).toContain("sign_type=HMAC-SHA256");
  });

  it("trigger adds and clears scenarios; notifications lists attempts; pay reports errors", () => {
    expect(run("trigger", "drop_notify", "--out-trade-no", "X123456").stdout).toMatch(
      /scenario sc_\w+: drop_notify for X123456/,
    );
    expect(run("trigger", "clear").stdout).toContain("cleared 1 scenario(s)");
    const refused = run("trigger", "no_such_action");
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("error 400 VALIDATION_FAILED");
    expect(run("notifications").stdout).toContain("no notifications yet");
    const bad = run("pay", "--prepay-id", "wx-none");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("error 404");
  });

  it("keeps its keys in the data dir and stops cleanly on SIGTERM", async () => {
    expect(fs.existsSync(path.join(dir, "keys.json"))).toBe(true);
    child.kill("SIGTERM");
    const code = await new Promise((r) => child.on("exit", r));
    expect(code).toBe(0);
  });
});
