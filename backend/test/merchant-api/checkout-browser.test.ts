/**
 * The hosted checkout page in a real headless Chromium (from npm: @sparticuz/chromium +
 * playwright-core, launched by test/helpers/browser.ts as in the other browser suites), against the real backend and the
 * sandbox: a merchant's server makes an h5page order, the shopper opens /pay/{token} on a phone
 * width, sees the amount, the description and the QR; the sandbox pays; the page polls, shows
 * "paid" and returns to the merchant. On a desktop width an order the merchant closes turns to
 * "closed or expired". Screenshots go to test-artifacts/checkout/.
 */
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { repoRoot } from "../helpers/build";
import { inFreshContext, launchChromium, screenshots } from "../helpers/browser";
import { useSandbox, useStack } from "../helpers/sandbox-stack";
import { callJson } from "../helpers/http";
import { createOrder, keyFor, merchantCall, orderNo, testResolver } from "./kit";

const shot = screenshots(path.join(repoRoot, "test-artifacts/checkout"));
const RETURN = "https://merchant.example/return?from=minipay";

const sandbox = useSandbox();
const stack = useStack(sandbox, "v3-public-key", { webhooks: { resolver: testResolver } });
let browser: Browser;
let key: string;

beforeAll(async () => {
  browser = await launchChromium();
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

/**
 * `fn` on a fresh page at `viewport` (NAME-FAILED.png when it fails) that has opened `url` and
 * passed the page's header checks, with what the page complains about (CSP violations land in the
 * console) in `problems`.
 */
function atCheckout(
  name: string,
  viewport: { width: number; height: number },
  url: string,
  fn: (page: Page, problems: string[]) => Promise<void>,
): Promise<void> {
  return inFreshContext(browser, { viewport, locale: "zh-CN" }, shot, name, async (page) => {
    // The merchant's return page: answered here, so nothing leaves the machine.
    await page.route("https://merchant.example/**", (route) =>
      route.fulfill({
        status: 200,
        contentType: "text/html",
        body: "<p id=merchant>back at the merchant</p>",
      }),
    );
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
    await fn(page, problems);
  });
}

it("phone width: QR shown, the sandbox pays, the page turns to paid and returns to the merchant", async () => {
  const { order, url } = await h5Order({ returnUrl: RETURN });
  await atCheckout("phone", { width: 375, height: 812 }, url, async (page, problems) => {
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
  });
}, 120_000);

it("desktop width: an order the merchant closes turns to closed/expired; no return URL, no redirect", async () => {
  const { body, url } = await h5Order();
  await atCheckout("desktop", { width: 1280, height: 800 }, url, async (page, problems) => {
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
  });
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
