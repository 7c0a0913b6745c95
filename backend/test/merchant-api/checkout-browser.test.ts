/**
 * The hosted checkout page in a real headless Chromium (from npm: @sparticuz/chromium +
 * playwright-core, launched as miniprogram/test/e2e.test.ts does), against the real backend and the
 * sandbox: a merchant's server makes an h5page order, the shopper opens /pay/{token} on a phone
 * width, sees the amount, the description and the QR; the sandbox pays; the page polls, shows
 * "paid" and returns to the merchant. On a desktop width an order the merchant closes turns to
 * "closed or expired". Screenshots go to test-artifacts/checkout/.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { chromium as pw, type Browser, type BrowserContext, type Page } from "playwright-core";
import { useSandbox, useStack } from "../helpers/sandbox-stack";
import { callJson } from "../helpers/http";
import { createOrder, keyFor, merchantCall, orderNo, testResolver } from "./kit";

const root = path.resolve(__dirname, "../../..");
const shots = path.join(root, "test-artifacts/checkout");
const RETURN = "https://merchant.example/return?from=minipay";

const sandbox = useSandbox();
const stack = useStack(sandbox, "v3-public-key", { webhooks: { resolver: testResolver } });
let browser: Browser;
let key: string;

/** @sparticuz/chromium is ESM-only and jest runs CommonJS: a child Node process unpacks it. */
function chromiumFromNpm(): { executablePath: string; args: string[] } {
  const script =
    'import("@sparticuz/chromium").then(async ({ default: c }) => console.log(JSON.stringify({ executablePath: await c.executablePath(), args: c.args })))';
  const r = spawnSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`could not unpack Chromium from @sparticuz/chromium:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

beforeAll(async () => {
  fs.rmSync(shots, { recursive: true, force: true });
  fs.mkdirSync(shots, { recursive: true });
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
  key = await keyFor(stack, stack.merchant, ["orders:read", "orders:write"]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
});

async function h5Order(extra: Record<string, unknown> = {}) {
  const body = {
    merchantOrderNo: orderNo(),
    amountFen: 2599,
    description: "年度会员 Annual membership",
    method: "h5page",
    ...extra,
  };
  const r = await createOrder(merchantCall(stack, key), body);
  expect(r.status).toBe(201);
  return { body, order: r.body, url: r.body.payment.checkoutUrl as string };
}

/** A context that records what the page complains about (CSP violations land in the console). */
async function open(
  viewport: { width: number; height: number },
  url: string,
): Promise<{ ctx: BrowserContext; page: Page; problems: string[] }> {
  const ctx = await browser.newContext({ viewport, locale: "zh-CN" });
  // The merchant's return page: answered here, so nothing leaves the machine.
  await ctx.route("https://merchant.example/**", (route) =>
    route.fulfill({ status: 200, contentType: "text/html", body: "<p id=merchant>back at the merchant</p>" }),
  );
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(e.message));
  const res = await page.goto(url);
  expect(res?.status()).toBe(200);
  const csp = res!.headers()["content-security-policy"]!;
  expect(csp).toContain("default-src 'none'");
  expect(csp).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]+'/);
  expect(res!.headers()["referrer-policy"]).toBe("no-referrer");
  return { ctx, page, problems };
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

it("phone width: QR shown, the sandbox pays, the page turns to paid and returns to the merchant", async () => {
  const { order, url } = await h5Order({ returnUrl: RETURN });
  const { ctx, page, problems } = await open({ width: 375, height: 812 }, url);
  try {
    await expect(page.locator("#amount").textContent()).resolves.toBe("¥25.99");
    await expect(page.locator("#desc").textContent()).resolves.toBe("年度会员 Annual membership");
    const qr = page.locator("#qr");
    await qr.waitFor({ state: "visible" });
    const size = await qr.evaluate(
      (img: { naturalWidth: number; getBoundingClientRect(): { width: number } }) => ({
        w: img.naturalWidth,
        shown: img.getBoundingClientRect().width,
      }),
    );
    expect(size.w).toBeGreaterThan(100); // a real decoded image, not a broken one
    expect(size.shown).toBeLessThanOrEqual(375); // fits the phone
    expect(await page.getAttribute("body", "data-phase")).toBe("pending");
    await shot(page, "phone-pending");

    // Opening the page made the Native prepay; the sandbox pays its number.
    const detail = await callJson(stack.h.url, "GET", `/admin/v1/orders/${order.orderId}`, { token: key });
    const number = detail.body.tradeNumbers[0].outTradeNo as string;
    expect(detail.body.tradeNumbers[0].method).toBe("native");
    await stack.sb.pay({ out_trade_no: number, outcome: "SUCCESS" });

    await page.waitForSelector('body[data-phase="paid"]', { timeout: 30_000 });
    await expect(page.locator("#status").textContent()).resolves.toContain("支付成功");
    await expect(page.locator("#qr").count()).resolves.toBe(0);
    await shot(page, "phone-paid");
    await page.waitForURL(RETURN, { timeout: 15_000 });
    await expect(page.locator("#merchant").textContent()).resolves.toContain("back at the merchant");
    expect(problems).toEqual([]);
  } catch (err) {
    await shot(page, "phone-failure").catch(() => undefined);
    throw err;
  } finally {
    await ctx.close();
  }
}, 120_000);

it("desktop width: an order the merchant closes turns to closed/expired; no return URL, no redirect", async () => {
  const { body, url } = await h5Order();
  const { ctx, page, problems } = await open({ width: 1280, height: 800 }, url);
  try {
    await page.locator("#qr").waitFor({ state: "visible" });
    const card = await page.locator(".card").boundingBox();
    expect(card!.width).toBeLessThanOrEqual(420); // a centred card, not a stretched page
    await shot(page, "desktop-pending");
    const closed = await merchantCall(stack, key)("POST", `/orders/${body.merchantOrderNo}/close`);
    expect(closed.status).toBe(200);
    await page.waitForSelector('body[data-phase="over"]', { timeout: 30_000 });
    await expect(page.locator("#status").textContent()).resolves.toContain(
      "This order is closed or has expired",
    );
    await shot(page, "desktop-closed");
    expect(await page.locator("#back").isVisible()).toBe(false);
    expect(new URL(page.url()).pathname).toBe(new URL(url).pathname);
    expect(problems).toEqual([]);
  } catch (err) {
    await shot(page, "desktop-failure").catch(() => undefined);
    throw err;
  } finally {
    await ctx.close();
  }
}, 120_000);

it("an unknown or malformed token is a plain 404 page", async () => {
  for (const t of ["A".repeat(43), "short", "%3Cscript%3E"]) {
    const bad = await fetch(`${stack.h.url}/pay/${t}`);
    expect(bad.status).toBe(404);
    const html = await bad.text();
    expect(html).toContain("This payment link is not valid");
    expect(html).not.toContain("<script>");
  }
});
