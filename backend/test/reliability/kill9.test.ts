/**
 * G13 (docs/reliability.md E4): the compiled backend (node backend/dist/main.js, a real child
 * process) is killed with SIGKILL while the sandbox is delivering pay notifies to it, then started
 * again on the same database and port. WeChat (the sandbox) keeps retrying what was not
 * acknowledged. No notify the sandbox saw acknowledged is lost (its order is paid), none is applied
 * twice (one `paid` event and one outbox row per order), and in the end every order is paid. Jobs
 * and the sweeper are off, so only notifies can pay an order.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DataSource } from "typeorm";
import { freePort } from "../../src/db/embedded-postgres";
import { buildBackend, repoRoot } from "../helpers/build";
import { createTestDatabaseUrl } from "../helpers/db";
import { eventually, startTestSandbox, type Sandbox } from "../helpers/sandbox-stack";
import {
  CHILD_BACKEND_ENV,
  Capture,
  loginShoppers,
  ordersWithPrepay,
  pool,
  record,
  sandboxSecrets,
  scanAndRecord,
  shopCaller,
  size,
} from "./kit";

const N = size(40, 400);
const MERCHANTS = ["v3-public-key", "v2-hmac"];
let sandbox: Sandbox;
let dataDir: string;
let ds: DataSource;
const output: string[] = [];

beforeAll(async () => {
  buildBackend();
  sandbox = await startTestSandbox();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "minipay-kill9-"));
  fs.chmodSync(dataDir, 0o755);
}, 180_000);
afterAll(async () => {
  await ds?.destroy();
  await sandbox?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

function start(env: Record<string, string>): { child: ChildProcess; exited: Promise<unknown> } {
  const child = spawn(process.execPath, [path.join(repoRoot, "backend/dist/main.js")], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => output.push(String(d)));
  child.stderr!.on("data", (d) => output.push(String(d)));
  return { child, exited: new Promise((r) => child.on("exit", r)) };
}

it(`SIGKILL mid notify load (${N} orders over ${MERCHANTS.join(", ")}): none lost, none twice`, async () => {
  const capture = new Capture();
  sandboxSecrets(sandbox, capture);
  const port = String(await freePort());
  const databaseUrl = await createTestDatabaseUrl();
  const env = {
    PORT: port,
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    SANDBOX_URL: sandbox.url,
    SANDBOX_MERCHANTS: MERCHANTS.join(","),
    ...CHILD_BACKEND_ENV,
  };
  const url = `http://127.0.0.1:${port}`;
  const ready = () =>
    eventually(async () => (await fetch(`${url}/readyz`).catch(() => null))?.status === 200, 60_000).catch(
      (e) => {
        throw new Error(`${(e as Error).message}; backend said: ${output.join("").slice(-2000)}`);
      },
    );
  let run = start(env);
  await ready();
  const call = shopCaller(url, capture);
  const shoppers = await loginShoppers(sandbox, call, capture, MERCHANTS);
  // Orders with their prepay first; then the payments (and so the notifies) all at once.
  const orders = await ordersWithPrepay(call, shoppers, N);
  const attempts = () => sandbox.sandbox.context.notifier.attempts.filter((a) => a.kind === "pay");
  const paying = pool(orders, 8, (o) =>
    sandbox.control.pay({ prepay_id: o.prepayId, openid: o.openid, outcome: "SUCCESS" }),
  );
  // Kill once a third of the notifies were acknowledged: mid-load, with more in flight.
  await eventually(async () => attempts().filter((a) => a.ok).length >= N / 3, 120_000);
  run.child.kill("SIGKILL");
  await run.exited;
  const ackedAtKill = new Set(
    attempts()
      .filter((a) => a.ok)
      .map((a) => a.out_trade_no),
  ).size;
  await paying;
  const failedWhileDown = attempts().filter((a) => !a.ok).length;
  run = start(env);
  await ready();
  // WeChat's retries (time-scaled) bring the rest.
  await eventually(
    async () =>
      new Set(
        attempts()
          .filter((a) => a.ok)
          .map((a) => a.out_trade_no),
      ).size >= N,
    120_000,
  );
  ds = new DataSource({ type: "postgres", url: databaseUrl });
  await ds.initialize();
  const acked = new Set(
    attempts()
      .filter((a) => a.ok)
      .map((a) => a.out_trade_no),
  );
  const rows: { out_trade_no: string; state: string; paid: number; outbox: number }[] = await ds.query(
    `SELECT o.out_trade_no, o.state,
            (SELECT count(*)::int FROM order_events e WHERE e.order_id = o.id AND e.to_state = 'paid') AS paid,
            (SELECT count(*)::int FROM outbox x WHERE x.order_id = o.id) AS outbox
       FROM orders o`,
  );
  const lost = rows.filter((r) => acked.has(r.out_trade_no) && r.state !== "paid").length;
  const twice = rows.filter((r) => r.paid > 1 || r.outbox > 1).length;
  const paid = rows.filter((r) => r.state === "paid").length;
  run.child.kill("SIGTERM");
  await run.exited;
  record({
    goal: "G13",
    check: "backend SIGKILL mid notify load",
    tried: `orders (${MERCHANTS.join(", ")}) paid while the backend process is killed -9 and restarted`,
    count: N,
    wrong: lost + twice + (N - paid),
    detail: `acked before the kill=${ackedAtKill} deliveries failed while down=${failedWhileDown} acked in all=${acked.size} paid=${paid} lost=${lost} applied twice=${twice}`,
  });
  expect({ lost, twice, paid }).toEqual({ lost: 0, twice: 0, paid: N });
  expect(scanAndRecord("SIGKILL run", capture, output)).toEqual([]);
}, 400_000);
