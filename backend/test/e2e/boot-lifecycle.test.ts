/**
 * The zero-config start: boot() with no DATABASE_URL starts embedded PostgreSQL in DATA_DIR,
 * configures its merchant from the sandbox, serves /readyz; a second start reuses the data; a
 * stale postmaster.pid is cleared; close() leaves no postgres process behind.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { boot } from "../../src/boot";
import { freePort } from "../../src/db/embedded-postgres";
import { startTestSandbox, type Sandbox } from "../helpers/sandbox-stack";

let sandbox: Sandbox;
let dataDir: string;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "minipay-boot-"));
  fs.chmodSync(dataDir, 0o755);
});
afterAll(async () => {
  await sandbox.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function postgresProcessesFor(dir: string): string[] {
  const out = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
  return out.split("\n").filter((l) => /postgres/.test(l) && l.includes(dir));
}

describe("boot lifecycle", () => {
  it("starts, reuses the data dir on a second start, and stops without leftovers", async () => {
    const pgPort = String(await freePort());
    const env = {
      PORT: "0",
      DATA_DIR: dataDir,
      PG_PORT: pgPort,
      SANDBOX_URL: sandbox.url,
      SANDBOX_MERCHANT: "v2-md5",
      LOG_LEVEL: "silent",
      SWEEPER_INTERVAL_MS: "0",
    };
    const first = await boot(env);
    const ready = await fetch(`${first.url}/readyz`);
    expect(ready.status).toBe(200);
    const cfg: any = await (await fetch(`${first.url}/api/v1/config`)).json();
    expect(cfg.sandboxUrl).toBe(sandbox.url);
    expect(JSON.stringify(cfg)).not.toMatch(/secret|key/i);
    await first.close();
    expect(postgresProcessesFor(dataDir)).toEqual([]);
    expect(fs.existsSync(path.join(dataDir, "pg", "PG_VERSION"))).toBe(true);

    // A crashed run leaves a postmaster.pid whose process is gone: the next start must cope.
    fs.writeFileSync(
      path.join(dataDir, "pg", "postmaster.pid"),
      "999999\n" + path.join(dataDir, "pg") + "\n",
    );
    const second = await boot(env);
    const products: any = await (await fetch(`${second.url}/api/v1/products`)).json();
    expect(products.products.length).toBeGreaterThan(0);
    const key1 = fs.readFileSync(path.join(dataDir, "master.key"), "utf8");
    await second.close();
    expect(fs.readFileSync(path.join(dataDir, "master.key"), "utf8")).toBe(key1);
    expect(postgresProcessesFor(dataDir)).toEqual([]);
  }, 60_000);

  it("refuses a bad configuration naming the variable", async () => {
    await expect(boot({ PORT: "not-a-port" })).rejects.toThrow(/PORT/);
  });
});
