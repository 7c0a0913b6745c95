#!/usr/bin/env node
// `npm run reliability`: the reliability suite at full size (backend/test/reliability/*.test.ts with
// RELIABILITY_FULL=1), then one table of every line the checks printed: what was tried, how many
// times, and what went wrong (must be 0). Exit code 1 when a test failed or a line shows a fault.
// `npm test` runs the same files at a small size. Extra arguments go to jest (e.g. a file name).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "minipay-reliability-")), "lines.jsonl");
fs.writeFileSync(out, "");
const started = Date.now();
const args = process.argv.slice(2);
// The files that run the compiled backend as a process (kill9, pg-restart) share one build.
for (const w of ["@minipay/shared", "@minipay/backend"]) {
  const b = spawnSync("npm", ["run", "build", "-w", w], { cwd: root, stdio: "inherit" });
  if (b.status !== 0) process.exit(1);
}
// Two files at a time: most of each file's time is one Node thread (backend, sandbox and client in
// one process) or waiting on retries and jobs, so a 2-CPU machine finishes in about half the time.
const jest = spawnSync(
  process.execPath,
  [
    path.join(root, "node_modules/jest/bin/jest.js"),
    "--maxWorkers=2",
    ...(args.length ? args : [path.join("backend", "test", "reliability")]),
  ],
  {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, RELIABILITY_FULL: "1", RELIABILITY_OUT: out, MINIPAY_BACKEND_BUILT: "1" },
  },
);
const minutes = (Date.now() - started) / 60_000;
const lines = fs
  .readFileSync(out, "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l));

const cols = [
  ["goal", (l) => l.goal],
  ["check", (l) => l.check],
  ["tried", (l) => l.tried],
  ["count", (l) => String(l.count)],
  ["wrong", (l) => String(l.wrong)],
  ["figures", (l) => l.detail ?? ""],
];
const row = (cells) => `| ${cells.join(" | ")} |`;
console.log("\nReliability suite (full size)\n");
console.log(row(cols.map(([h]) => h)));
console.log(row(cols.map(() => "---")));
for (const l of lines) console.log(row(cols.map(([, f]) => f(l).replace(/\|/g, "/"))));
const faults = lines.filter((l) => l.wrong !== 0).length;
console.log(
  `\n${lines.length} lines, ${faults} with faults; jest exit ${jest.status}; ${minutes.toFixed(1)} min on ${os.cpus().length} CPUs, Node ${process.version}`,
);
process.exit(jest.status === 0 && faults === 0 ? 0 : 1);
