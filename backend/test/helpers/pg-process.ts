/** Starts pg-child.mjs: a PostgreSQL server in its own process, stoppable mid-test. */
import { spawn } from "node:child_process";
import path from "node:path";

export interface PgProcess {
  url: string;
  /** Fast shutdown by default; "immediate" is a crash as far as the data directory is concerned. */
  stop(mode?: "fast" | "immediate"): Promise<void>;
}

export async function startPgProcess(dataDir: string, port: number): Promise<PgProcess> {
  const child = spawn(process.execPath, [path.join(__dirname, "pg-child.mjs"), dataDir, String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("ready")) resolve();
    });
    child.stderr!.on("data", (d) => (out += d));
    child.on("exit", (code) => reject(new Error(`postgres child exited ${code}: ${out}`)));
  });
  return {
    url: `postgres://postgres:minipay-local@127.0.0.1:${port}/postgres`,
    stop: async (mode = "fast") => {
      child.kill(mode === "fast" ? "SIGTERM" : "SIGUSR2");
      await exited;
    },
  };
}
