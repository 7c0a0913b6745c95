/**
 * G13 and G9 (docs/reliability.md E4, E1): PostgreSQL is stopped and started again twice while the
 * sandbox is delivering pay notifies to the compiled backend (a real child process that is never
 * restarted): first a fast shutdown, then an immediate one (a crash as far as the data directory
 * is concerned, so the next start replays the WAL). Some notifies are in flight at each stop, and a
 * batch of payments is made while the database is down so every outage certainly refuses some.
 *
 * - No acknowledged notify is lost: its order is paid, with one `paid` event and one outbox row.
 * - Nothing is acknowledged while the database is down; refusals are retriable answers (v3 non-2xx,
 *   v2 FAIL) without stack traces, and WeChat's retries (the sandbox's, time-scaled) settle them.
 * - The backend reconnects by itself: same process, /readyz 200, every order paid in the end.
 * Jobs and the sweeper are off, so only notifies can pay an order.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DataSource } from "typeorm";
import { ensureDatabase, freePort } from "../../src/db/embedded-postgres";
import { buildBackend, repoRoot } from "../helpers/build";
import { startPgProcess, type PgProcess } from "../helpers/pg-process";
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

const N = size(40, 1000);
const MERCHANTS = ["v3-public-key", "v2-hmac"];
let sandbox: Sandbox;
let tmp: string;
let pgPort: number;
let pg: PgProcess | null = null;
let backend: ChildProcess | null = null;
let ds: DataSource | undefined;
const output: string[] = [];

beforeAll(async () => {
  buildBackend();
  sandbox = await startTestSandbox();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "minipay-pg-restart-"));
  fs.chmodSync(tmp, 0o755);
  pgPort = await freePort();
  pg = await startPgProcess(path.join(tmp, "pg"), pgPort);
}, 180_000);
afterAll(async () => {
  await ds?.destroy();
  if (backend && backend.exitCode === null) {
    const exited = new Promise((r) => backend!.on("exit", r));
    backend.kill("SIGTERM");
    await exited;
  }
  await pg?.stop().catch(() => undefined);
  await sandbox?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** A stack trace or an internal error name in an answer WeChat would see. */
const LEAK = /\n\s+at |\bat [\w.<>]+ \(.*:\d+:\d+\)|QueryFailedError|ECONNREFUSED|stack/;

it(`PostgreSQL stopped (fast, then immediate) and restarted mid notify load (${N} orders over ${MERCHANTS.join(", ")}): none lost, none twice`, async () => {
  const capture = new Capture();
  sandboxSecrets(sandbox, capture);
  const port = String(await freePort());
  const databaseUrl = await ensureDatabase(pg!.url, "pgrestart");
  backend = spawn(process.execPath, [path.join(repoRoot, "backend/dist/main.js")], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      PORT: port,
      DATA_DIR: path.join(tmp, "data"),
      DATABASE_URL: databaseUrl,
      SANDBOX_URL: sandbox.url,
      SANDBOX_MERCHANTS: MERCHANTS.join(","),
      ...CHILD_BACKEND_ENV,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  backend.stdout!.on("data", (d) => output.push(String(d)));
  backend.stderr!.on("data", (d) => output.push(String(d)));
  const url = `http://127.0.0.1:${port}`;
  const readyz = async () => (await fetch(`${url}/readyz`).catch(() => null))?.status ?? 0;
  await eventually(async () => backend!.exitCode !== null || (await readyz()) === 200, 60_000);
  await eventually(async () => (await readyz()) === 200, 1000).catch((e) => {
    throw new Error(`${(e as Error).message}; backend said: ${output.join("").slice(-2000)}`);
  });
  const call = shopCaller(url, capture);
  const shoppers = await loginShoppers(sandbox, call, capture, MERCHANTS);
  const orders = await ordersWithPrepay(call, shoppers, N);

  const attempts = () => sandbox.sandbox.context.notifier.attempts.filter((a) => a.kind === "pay");
  const ackedOrders = () =>
    new Set(
      attempts()
        .filter((a) => a.ok)
        .map((a) => a.out_trade_no),
    );
  const payAll = (batch: typeof orders) =>
    pool(batch, 8, (o) =>
      sandbox.control.pay({ prepay_id: o.prepayId, openid: o.openid, outcome: "SUCCESS" }),
    );
  // Four batches: A and C paid as a running load; B and D paid while the database is down.
  const cut = (f: number) => Math.round(N * f);
  const [A, B, C, D] = [
    orders.slice(0, cut(0.4)),
    orders.slice(cut(0.4), cut(0.5)),
    orders.slice(cut(0.5), cut(0.9)),
    orders.slice(cut(0.9)),
  ];
  const downWindows: { from: number; to: number }[] = [];
  const upAgain: number[] = [];
  const outage = async (mode: "fast" | "immediate", whileDown: typeof orders) => {
    await pg!.stop(mode);
    const from = Date.now();
    expect(await readyz()).toBe(503);
    await payAll(whileDown);
    // Every notify of the batch paid while down has been refused at least once.
    await eventually(async () => {
      const refused = new Set(
        attempts()
          .filter((a) => !a.ok)
          .map((a) => a.out_trade_no),
      );
      return whileDown.every((o) => refused.has(o.outTradeNo));
    }, 60_000);
    downWindows.push({ from, to: Date.now() });
    pg = await startPgProcess(path.join(tmp, "pg"), pgPort);
    upAgain.push(Date.now());
  };

  const loadA = payAll(A);
  await eventually(async () => ackedOrders().size >= cut(0.2), 120_000);
  const ackedAtStop1 = ackedOrders().size;
  await outage("fast", B);
  await loadA;
  const loadC = payAll(C);
  await eventually(async () => ackedOrders().size >= cut(0.6), 120_000);
  const ackedAtStop2 = ackedOrders().size;
  await outage("immediate", D);
  await loadC;
  // WeChat's retries (time-scaled) bring the rest, to the same backend process.
  await eventually(async () => ackedOrders().size >= N, 180_000).catch((e) => {
    throw new Error(
      `${(e as Error).message}: ${ackedOrders().size}/${N} acked; backend said: ${output.join("").slice(-2000)}`,
    );
  });
  const sameProcess = backend.exitCode === null && backend.signalCode === null;
  const readyAfter = await readyz();

  ds = new DataSource({ type: "postgres", url: databaseUrl });
  await ds.initialize();
  const all = attempts();
  for (const a of all) capture.add(a.responseBody ?? "");
  const acked = ackedOrders();
  const rows: { out_trade_no: string; state: string; paid: number; outbox: number }[] = await ds.query(
    `SELECT o.out_trade_no, o.state,
            (SELECT count(*)::int FROM order_events e WHERE e.order_id = o.id AND e.to_state = 'paid') AS paid,
            (SELECT count(*)::int FROM outbox x WHERE x.order_id = o.id) AS outbox
       FROM orders o`,
  );
  const lost = rows.filter((r) => acked.has(r.out_trade_no) && r.state !== "paid").length;
  const twice = rows.filter((r) => r.paid > 1 || r.outbox > 1).length;
  const paid = rows.filter((r) => r.state === "paid").length;
  const refused = all.filter((a) => !a.ok);
  const down = (a: (typeof all)[number]) =>
    downWindows.some((w) => Date.parse(a.at) > w.from && Date.parse(a.at) < w.to);
  const ackedWhileDown = all.filter((a) => a.ok && down(a)).length;
  const refusedWhileDown = all.filter((a) => !a.ok && down(a)).length;
  // Refusals once PostgreSQL accepted connections again: the pool finding its old clients dead.
  const refusedAfterUp = refused.filter((a) =>
    upAgain.some((t, i) => Date.parse(a.at) > t && Date.parse(a.at) < (downWindows[i + 1]?.from ?? Infinity)),
  ).length;
  const refusedOrders = new Set(refused.map((a) => a.out_trade_no));
  const refusedNeverSettled = [...refusedOrders].filter((o) => !acked.has(o)).length;
  const leaked = all.filter((a) => LEAK.test(a.responseBody ?? "")).length;
  const unhandled = output
    .join("")
    .split("\n")
    .filter((l) => l.includes("unhandled error")).length;
  const answers = new Map<string, number>();
  for (const a of refused) {
    const k = a.status === null ? "no answer" : String(a.status);
    answers.set(k, (answers.get(k) ?? 0) + 1);
  }
  // A database outage is answered 503 (WeChat retries), never as an internal error.
  const internalErrors = answers.get("500") ?? 0;
  const wrong =
    internalErrors +
    lost +
    twice +
    (N - paid) +
    ackedWhileDown +
    refusedNeverSettled +
    leaked +
    unhandled +
    (sameProcess ? 0 : 1) +
    (readyAfter === 200 ? 0 : 1);
  record({
    goal: "G13",
    check: "PostgreSQL restart mid notify load",
    tried: `orders (${MERCHANTS.join(", ")}) paid while PostgreSQL is stopped (fast, then immediate) and restarted under one backend process`,
    count: N,
    wrong,
    detail:
      `acked at the stops=${ackedAtStop1}/${ackedAtStop2} deliveries=${all.length} refused=${refused.length} ` +
      `(${[...answers].map(([k, v]) => `${k}: ${v}`).join(", ")}; ${refusedWhileDown} while down, ${refusedAfterUp} after it was up again, ${refusedOrders.size} orders) ` +
      `acked while down=${ackedWhileDown} refused never settled=${refusedNeverSettled} paid=${paid} lost=${lost} ` +
      `applied twice=${twice} stack traces=${leaked} unhandled errors=${unhandled} same process=${sameProcess}`,
  });
  expect({
    lost,
    twice,
    paid,
    ackedWhileDown,
    refusedNeverSettled,
    leaked,
    unhandled,
    sameProcess,
    readyAfter,
    internalErrors,
  }).toEqual({
    lost: 0,
    twice: 0,
    paid: N,
    ackedWhileDown: 0,
    refusedNeverSettled: 0,
    leaked: 0,
    unhandled: 0,
    sameProcess: true,
    readyAfter: 200,
    internalErrors: 0,
  });
  expect(refusedWhileDown).toBeGreaterThanOrEqual(B.length + D.length);
  expect(scanAndRecord("PostgreSQL restart run", capture, output)).toEqual([]);
}, 600_000);
