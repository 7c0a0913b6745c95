/**
 * The shopper's whole journey in a real headless Chromium (from npm: @sparticuz/chromium +
 * playwright-core) against the H5 build served by the real backend, paying in the real sandbox's
 * cashier: pay → paid; cancel → still payable → pay again; notify dropped → paid through verify.
 * Screenshots of every page go to test-artifacts/e2e/.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium as pw, type Browser, type Page } from "playwright-core";
import { boot, type Running } from "../../backend/src/boot";
import { createTestDatabaseUrl } from "../../backend/test/helpers/db";
import { startSandbox, type RunningSandbox } from "../../sandbox/src";

const dir = path.resolve(__dirname, "..");
const shots = path.resolve(dir, "../test-artifacts/e2e");
let sandbox: RunningSandbox;
let backend: Running;
let browser: Browser;
let dataDir: string;

beforeAll(async () => {
  const r = spawnSync(path.resolve(dir, "../node_modules/.bin/uni"), ["build"], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, UNI_PLATFORM: "h5" },
  });
  if (r.status !== 0) throw new Error(`H5 build failed:\n${r.stdout}\n${r.stderr}`);
  fs.mkdirSync(shots, { recursive: true });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "minipay-e2e-"));
  sandbox = await startSandbox({
    port: 0,
    tlsPort: 0,
    seed: "minipay-tests",
    timeScale: 0.001,
    dataDir: path.join(dataDir, "sandbox"),
  });
  backend = await boot({
    PORT: "0",
    DATA_DIR: dataDir,
    DATABASE_URL: await createTestDatabaseUrl("e2e"),
    SANDBOX_URL: sandbox.url,
    SANDBOX_MERCHANTS: "v3-public-key",
    H5_DIST_DIR: path.join(dir, "dist/build/h5"),
    LOG_LEVEL: "silent",
    SWEEPER_INTERVAL_MS: "0",
  });
  const chrome = chromiumFromNpm();
  browser = await pw.launch({
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
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await backend?.close();
  await sandbox?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

/**
 * @sparticuz/chromium is ESM-only and jest runs CommonJS: ask a child Node process to unpack the
 * bundled Chromium and tell us where it is and which flags it wants.
 */
function chromiumFromNpm(): { executablePath: string; args: string[] } {
  const script =
    'import("@sparticuz/chromium").then(async ({ default: c }) => console.log(JSON.stringify({ executablePath: await c.executablePath(), args: c.args })))';
  const r = spawnSync(process.execPath, ["-e", script], { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`could not unpack Chromium from @sparticuz/chromium:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

/** Run a journey in a fresh browser context (a new shopper); screenshot on failure. */
async function journey(name: string, fn: (page: Page) => Promise<void>) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "zh-CN" });
  const page = await ctx.newPage();
  try {
    await fn(page);
  } catch (err) {
    await shot(page, `${name}-FAILED`).catch(() => undefined);
    throw err;
  } finally {
    await ctx.close();
  }
}

async function buyOne(page: Page, product: string, prefix: string) {
  await page.goto(`${backend.url}/app/`);
  await page.locator(`[data-test="plus-${product}"]`).click({ timeout: 20_000 });
  await shot(page, `${prefix}-1-shop`);
  await page.locator('[data-test="checkout"]').click();
  await page.locator('[data-test="total"]').waitFor({ timeout: 20_000 });
  await shot(page, `${prefix}-2-confirm`);
  await page.locator('[data-test="pay"]').click();
  await page.locator('[data-test="cashier-pay"]').waitFor({ timeout: 20_000 });
  await shot(page, `${prefix}-3-cashier`);
}

const resultState = (page: Page, state: string) =>
  page.locator(`[data-test="result-state"][data-state="${state}"]`).waitFor({ timeout: 40_000 });

describe("H5 shop in a real browser", () => {
  it("shop → confirm → sandbox cashier → result paid → my orders shows it paid", async () => {
    await journey("pay", async (page) => {
      await buyOne(page, "red-envelope", "pay");
      expect(await page.locator('[data-test="cashier-amount"]').innerText()).toBe("¥9.90");
      await page.locator('[data-test="cashier-pay"]').click();
      await resultState(page, "paid");
      await shot(page, "pay-4-result");
      await page.locator('[data-test="my-orders"]').click();
      await page.locator('[data-test="order-row"][data-state="paid"]').first().waitFor({ timeout: 20_000 });
      await shot(page, "pay-5-orders");
      await page.locator('[data-test="order-row"]').first().click();
      await page.locator('[data-test="detail-state"]').waitFor();
      await shot(page, "pay-6-order-detail");
    });
  });

  it("cancel in the cashier leaves the order payable, and paying again succeeds", async () => {
    await journey("cancel", async (page) => {
      await buyOne(page, "mooncake", "cancel");
      await page.locator('[data-test="cashier-cancel"]').click();
      await resultState(page, "paying");
      await shot(page, "cancel-4-result");
      await page.locator('[data-test="pay-again"]').click();
      await page.locator('[data-test="pay"]').click({ timeout: 20_000 });
      await page.locator('[data-test="cashier-pay"]').click({ timeout: 20_000 });
      await resultState(page, "paid");
    });
  });

  it("with the notify dropped, the result page still reaches paid through verify", async () => {
    await fetch(`${sandbox.url}/__sandbox/scenarios`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action: "drop_notify" }),
    });
    try {
      await journey("dropped", async (page) => {
        await buyOne(page, "oolong-tea", "dropped");
        await page.locator('[data-test="cashier-pay"]').click();
        await resultState(page, "paid");
      });
      const n: any = await (await fetch(`${sandbox.url}/__sandbox/notifications`)).json();
      expect(n.notifications.some((a: any) => a.dropped)).toBe(true);
    } finally {
      await fetch(`${sandbox.url}/__sandbox/scenarios`, { method: "DELETE" });
    }
  });
});
