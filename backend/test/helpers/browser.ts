/**
 * What the browser suites share (the H5 shop, the merchant console, the hosted checkout page, the
 * API reference): a headless Chromium from npm (@sparticuz/chromium + playwright-core, no system
 * browser, no download at test time), the builds they serve, the booted stack, a fresh context per
 * journey with a screenshot when it fails, and the screenshot folder of a run.
 */
import { spawn, spawnSync } from "node:child_process";
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

/** The mini-program's H5 build (what the backend serves at /app/) into `outDir`. */
export function buildH5(outDir: string): Promise<void> {
  return runBuild("H5 build", bin("uni"), ["build"], path.join(repoRoot, "miniprogram"), {
    ...process.env,
    UNI_PLATFORM: "h5",
    UNI_OUTPUT_DIR: outDir,
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
