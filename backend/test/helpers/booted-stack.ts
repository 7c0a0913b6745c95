/**
 * The sandbox and the real backend booted as `npm start` boots them (boot() with an env), both
 * under one data dir: for the suites that drive a build (the H5 shop, the merchant console) or
 * the mini-program's logic layer against the whole server.
 */
import path from "node:path";
import { boot, type Running } from "../../src/boot";
import { startSandbox, type RunningSandbox } from "../../../sandbox/src";
import { createTestDatabaseUrl } from "./db";

/** An admin key as the backend prints it on its first start (boot.ts). */
const ADMIN_KEY = /mk_[A-Za-z0-9_-]{43}/g;

/**
 * boot() with the first-start admin key masked in what it prints: boot prints that key once to
 * stdout for a person at a terminal, and a test run's output is kept (CI logs), so keys stay out.
 */
async function bootQuietly(env: Record<string, string>): Promise<Running> {
  const write = process.stdout.write;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) =>
    (write as (...a: unknown[]) => boolean).call(
      process.stdout,
      typeof chunk === "string" ? chunk.replace(ADMIN_KEY, "mk_…(hidden by the test)") : chunk,
      ...rest,
    )) as typeof process.stdout.write;
  try {
    return await boot(env);
  } finally {
    process.stdout.write = write;
  }
}

/** The sandbox and the real backend, both under `dataDir`; `database` names the test database. */
export async function startStack(
  dataDir: string,
  database: string,
  env: Record<string, string> = {},
): Promise<{ sandbox: RunningSandbox; backend: Running }> {
  const sandbox = await startSandbox({
    port: 0,
    tlsPort: 0,
    seed: "minipay-tests",
    timeScale: 0.001,
    dataDir: path.join(dataDir, "sandbox"),
  });
  try {
    const backend = await bootQuietly({
      PORT: "0",
      DATA_DIR: dataDir,
      DATABASE_URL: await createTestDatabaseUrl(database),
      SANDBOX_URL: sandbox.url,
      SANDBOX_MERCHANTS: "v3-public-key",
      LOG_LEVEL: "silent",
      SWEEPER_INTERVAL_MS: "0",
      ...env,
    });
    return { sandbox, backend };
  } catch (e) {
    await sandbox.close();
    throw e;
  }
}
