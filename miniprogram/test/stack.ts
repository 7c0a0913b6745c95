import path from "node:path";
import { boot, type Running } from "../../backend/src/boot";
import { createTestDatabaseUrl } from "../../backend/test/helpers/db";
import { startSandbox, type RunningSandbox } from "../../sandbox/src";

/** The sandbox and the real backend, both under `dataDir`, for the tests that drive a build. */
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
    const backend = await boot({
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
