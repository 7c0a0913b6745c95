/**
 * What the browser suites share (the H5 shop, the merchant console, the hosted checkout page, the
 * API reference): a headless Chromium from npm (@sparticuz/chromium + playwright-core, no system
 * browser, no download at test time), the builds they serve, the booted stack, a fresh context per
 * journey with a screenshot when it fails, and the screenshot folder of a run.
 */
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  chromium as pw,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from "playwright-core";
import type { Running } from "../../src/boot";
import type { RunningSandbox } from "../../../sandbox/src";
import { startStack } from "./booted-stack";
import { repoRoot } from "./build";

/**
 * @sparticuz/chromium is ESM-only and jest runs CommonJS: a child Node process unpacks the bundled
 * Chromium and says where it is and which flags it wants.
 */
function chromiumFromNpm(): { executablePath: string; args: string[] } {
  const script =
    'import("@sparticuz/chromium").then(async ({ default: c }) => console.log(JSON.stringify({ executablePath: await c.executablePath(), args: c.args })))';
  const r = spawnSync(process.execPath, ["-e", script], { cwd: repoRoot, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`could not unpack Chromium from @sparticuz/chromium:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

export async function launchChromium(): Promise<Browser> {
  const chrome = chromiumFromNpm();
  return pw.launch({
    executablePath: chrome.executablePath,
    args: [
      // --single-process (a serverless default) ends the browser when its first context closes.
      ...chrome.args.filter((a) => a !== "--single-process"),
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    headless: true,
  });
}

export type Shot = (page: Page, name: string) => Promise<void>;

/** Empties `dir` (only this run's pictures) and returns a full-page screenshot into it as NAME.png,
 * taken `settleMs` after asking (transitions and the last paint). */
export function screenshots(dir: string, settleMs = 0): Shot {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return async (page, name) => {
    if (settleMs) await page.waitForTimeout(settleMs);
    await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
  };
}

/** `fn` on a page of a fresh context (no cookies or storage carried over), closed afterwards;
 * when `fn` fails, the page as it was goes to NAME-FAILED.png first. */
export async function inFreshContext(
  browser: Browser,
  options: BrowserContextOptions,
  shot: Shot,
  name: string,
  fn: (page: Page, ctx: BrowserContext) => Promise<void>,
): Promise<void> {
  const ctx = await browser.newContext(options);
  const page = await ctx.newPage();
  try {
    await fn(page, ctx);
  } catch (err) {
    await shot(page, `${name}-FAILED`).catch(() => undefined);
    throw err;
  } finally {
    await ctx.close();
  }
}

/** A build as a child process that does not block the event loop (two can run side by side);
 * rejects with its output when it fails. */
function runBuild(label: string, cmd: string, args: string[], cwd: string, env = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${label} failed (exit ${code}):\n${out}`)),
    );
  });
}

const bin = (name: string) => path.join(repoRoot, "node_modules/.bin", name);

/** The newest modification time of `p` or of a file under it (0 when it does not exist). */
function newest(p: string): number {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...fs.readdirSync(p).map((e) => newest(path.join(p, e))));
}

/** Every output is there and newer than every source (repo-relative): the rule `npm start` builds
 * by (scripts/start.mjs). */
function upToDate(outputs: string[], sources: string[]): boolean {
  const src = Math.max(...sources.map((d) => newest(path.join(repoRoot, d))));
  return outputs.every((o) => {
    const p = path.join(repoRoot, o);
    return fs.existsSync(p) && fs.statSync(p).mtimeMs >= src;
  });
}

/**
 * `fn` while holding a lock across jest workers (a directory made in the temp dir: mkdir either
 * makes it or fails), so that two suites needing the same build do not write it at once, and the
 * second finds it made. A lock older than 10 minutes is left over from a killed run and taken.
 */
async function underLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  // One lock a checkout: two checkouts on one machine build their own outputs.
  const checkout = crypto.createHash("sha256").update(repoRoot).digest("hex").slice(0, 12);
  const lock = path.join(os.tmpdir(), `minipay-${name}-${checkout}.lock`);
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 10 * 60_000) fs.rmSync(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** Where the H5 build goes by default (miniprogram/dist/build/h5, where `npm start` serves it from). */
export const H5_DIST = path.join(repoRoot, "miniprogram/dist/build/h5");

/** The mini-program's H5 build (what the backend serves at /app/), built when its sources are newer
 * than it (or it is missing), once for the suites that serve it. */
export function builtH5(): Promise<string> {
  return underLock("h5-build", async () => {
    if (!upToDate(["miniprogram/dist/build/h5/index.html"], ["miniprogram/src", "shared/src"]))
      await runBuild("H5 build", bin("uni"), ["build"], path.join(repoRoot, "miniprogram"), {
        ...process.env,
        UNI_PLATFORM: "h5",
        UNI_OUTPUT_DIR: H5_DIST,
      });
    return H5_DIST;
  });
}

/** The merchant console's build (what the backend serves at /console/) into console/dist. */
export function buildConsole(): Promise<void> {
  return runBuild(
    "console build",
    bin("vite"),
    ["build", "--logLevel", "warn"],
    path.join(repoRoot, "console"),
  );
}

/** shared/dist and backend/dist (what the `minipay` CLI runs) are built from the current sources. */
export function backendUpToDate(): boolean {
  return upToDate(
    ["shared/dist/index.js", "backend/dist/cli/minipay.js"],
    ["shared/src", "backend/src", "shared/package.json", "backend/package.json"],
  );
}

export interface BrowserStack {
  sandbox: RunningSandbox;
  backend: Running;
  browser: Browser;
  /** The data dir of the sandbox and the backend (removed by close()). */
  dataDir: string;
  close(): Promise<void>;
}

/**
 * A temp data dir, then `prepare(dataDir)` (the builds; it returns the backend's extra env), the
 * sandbox and the backend booted on it, and Chromium. What was started is stopped again when a
 * later step fails, and by close().
 */
export async function startBrowserStack(
  database: string,
  prepare: (dataDir: string) => Promise<Record<string, string>>,
): Promise<BrowserStack> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `minipay-${database}-`));
  let started: Partial<Omit<BrowserStack, "close" | "dataDir">> = {};
  const close = async () => {
    await started.browser?.close();
    await started.backend?.close();
    await started.sandbox?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    started = await startStack(dataDir, database, await prepare(dataDir));
    started.browser = await launchChromium();
    return { ...(started as Required<typeof started>), dataDir, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}
