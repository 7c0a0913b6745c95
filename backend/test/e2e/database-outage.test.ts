/**
 * PostgreSQL going away under a running backend (its own embedded server here, stopped and
 * started by the test): requests answer 503 SERVICE_UNAVAILABLE with Retry-After instead of 500,
 * /readyz says why, the backend recovers when the database is back, and shutdown completes within
 * its timeout after the database was restarted under it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { boot, type Running } from "../../src/boot";
import { ensureDatabase, freePort } from "../../src/db/embedded-postgres";
import { startPgProcess, type PgProcess } from "../helpers/pg-process";
import { startTestSandbox, type Sandbox } from "../helpers/sandbox-stack";

const SHUTDOWN_TIMEOUT_MS = 5000;
let sandbox: Sandbox;
let tmp: string;
let pg: PgProcess;
let pgPort: number;
let running: Running | null = null;

const startPg = () => startPgProcess(path.join(tmp, "pg"), pgPort);

beforeAll(async () => {
  sandbox = await startTestSandbox();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "minipay-outage-"));
  fs.chmodSync(tmp, 0o755);
  pgPort = await freePort();
  pg = await startPg();
}, 60_000);
afterAll(async () => {
  await running?.close().catch(() => undefined);
  await pg?.stop().catch(() => undefined);
  await sandbox.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

it("503 while the database is down, recovery when it is back, bounded shutdown", async () => {
  running = await boot({
    DATABASE_URL: await ensureDatabase(pg.url, "outage"),
    PORT: "0",
    DATA_DIR: path.join(tmp, "data"),
    SANDBOX_URL: sandbox.url,
    SANDBOX_MERCHANTS: "v3-public-key",
    SWEEPER_INTERVAL_MS: "0",
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    LOG_LEVEL: "silent",
  });
  const url = running.url;
  const get = async (p: string, token?: string) => {
    const r = await fetch(url + p, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: r.status, retryAfter: r.headers.get("retry-after"), body: (await r.json()) as any };
  };
  const appid = (await get("/api/v1/config")).body.appid;
  const code = (await sandbox.control.loginCode(appid)).code;
  const session = await fetch(`${url}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code }),
  });
  const { token } = (await session.json()) as { token: string };
  expect((await get("/api/v1/products")).status).toBe(200);

  await pg.stop();
  for (const [p, t] of [
    ["/api/v1/products", undefined],
    ["/api/v1/orders", token],
  ] as const) {
    const r = await get(p, t);
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe("SERVICE_UNAVAILABLE");
    expect(r.retryAfter).toBe("5");
  }
  const login = await fetch(`${url}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code: (await sandbox.control.loginCode(appid)).code }),
  });
  expect(login.status).toBe(503);
  const ready = await get("/readyz");
  expect(ready.status).toBe(503);
  expect(ready.body).toEqual({ status: "unavailable", database: "down", reason: "database unreachable" });

  pg = await startPg();
  const back = async () => (await get("/api/v1/orders", token)).status === 200;
  for (let i = 0; i < 50 && !(await back()); i++) await new Promise((r) => setTimeout(r, 100));
  expect((await get("/api/v1/orders", token)).status).toBe(200);
  expect((await get("/readyz")).status).toBe(200);

  const t0 = Date.now();
  await running.close();
  running = null;
  expect(Date.now() - t0).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
}, 60_000);
