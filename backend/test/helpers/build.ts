/** Builds shared and backend once, for suites that run the compiled backend or CLI as a process. */
import { spawnSync } from "node:child_process";
import path from "node:path";

export const repoRoot = path.resolve(__dirname, "../../..");

export function buildBackend(): void {
  // `npm run reliability` builds once before its jest workers start (two files building the same
  // dist/ side by side could run a half-written file).
  if (process.env.MINIPAY_BACKEND_BUILT === "1") return;
  for (const w of ["@minipay/shared", "@minipay/backend"]) {
    const r = spawnSync("npm", ["run", "build", "-w", w], { cwd: repoRoot, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`build of ${w} failed:\n${r.stdout}\n${r.stderr}`);
  }
}
