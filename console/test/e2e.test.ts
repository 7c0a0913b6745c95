/**
 * The merchant console in a real headless Chromium (from npm: @sparticuz/chromium + playwright-core,
 * launched as the shop's e2e launches it: backend/test/helpers/browser.ts), against the console
 * build served by the real backend at /console/, with orders made by a shopper through the real
 * sandbox: sign in with a key printed by the real `minipay key create` (backend/bin/minipay.js over
 * backend/dist), find the orders, open one, close an unpaid one through the confirm dialog, and
 * check that a narrower key (made by the CLI too) sees neither the product editor, the close button
 * nor the refund button, and is signed out once revoked; every page is visited with the all-scope
 * key, in both languages; a product's new price, a new product and an archived one are seen by a
 * shopper in the H5 shop (the mini-program's H5 build, served at /app/).
 * Then money and messages: a webhook endpoint (its secret shown once) pointed at a receiver in this
 * test, part of the paid order refunded through the refund dialog (confirmed; the sandbox's refund
 * notify settles it), its delivery retried into a failure (listed with both attempts, counted on the
 * dashboard), today's bill reconciled with no mismatch, then again with an amount mismatch planted
 * in the sandbox's bill.
 * Screenshots go to test-artifacts/console/ (the main pages at 1440×900 and 390×844, steps at
 * 1440×900, the shop at 390×844).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { ADMIN_PREFIX, ADMIN_SCOPES, createApi, type AdminScope, type HttpAdapter } from "@minipay/shared";
import type { Running } from "../../backend/src/boot";
import { freePort } from "../../backend/src/db/embedded-postgres";
import { openDatabase } from "../../backend/src/db/open";
import { createDb } from "../../backend/src/db/repositories";
import type { RunningSandbox } from "../../sandbox/src";
import {
  buildConsole,
  backendUpToDate,
  builtH5,
  H5_DIST,
  inFreshContext,
  screenshots,
  startBrowserStack,
  type BrowserStack,
} from "../../backend/test/helpers/browser";
import { buildBackend, repoRoot } from "../../backend/test/helpers/build";

const dir = path.resolve(__dirname, "..");
const shot = screenshots(path.resolve(dir, "../test-artifacts/console"), 200);
let stack: BrowserStack;
let sandbox: RunningSandbox;
let backend: Running;
let browser: Browser;
let fullKey: string;
let orders: { paid: string; paidId: string; unpaid: string };
/** A merchant's webhook receiver: answers 204 to an event the first time and 500 when the same
 * event comes again (the console's retry), so that delivery ends failed. */
let receiver: http.Server;
let receiverUrl: string;
const received: string[] = [];

beforeAll(async () => {
  stack = await startBrowserStack("console", async () => {
    // The console and the shop it changes (served at /console/ and /app/; the shop's build is
    // shared with its own e2e), and the backend's dist, which the `minipay` CLI runs from: built
    // side by side (child processes; buildBackend blocks this process meanwhile, which the other
    // two do not need), each unless it is newer than its sources, as `npm start` decides.
    const served = Promise.all([buildConsole(), builtH5()]);
    try {
      if (!backendUpToDate()) buildBackend();
    } finally {
      await served;
    }
    return {
      // A known port, so the notify URLs the backend gives WeChat (PUBLIC_BASE_URL defaults to
      // 127.0.0.1:PORT) reach it: the sandbox's refund notify settles the console's refund at once.
      PORT: String(await freePort()),
      CONSOLE_DIST_DIR: path.join(dir, "dist"),
      H5_DIST_DIR: H5_DIST,
      // One shopper makes enough open orders for a second page of the order list.
      ORDER_RATE_PER_USER_PER_MINUTE: "100",
      MAX_OPEN_ORDERS_PER_USER: "100",
      MAX_QUANTITY_PER_PRODUCT_PER_USER: "100",
      // The test's webhook receiver listens on 127.0.0.1 over http.
      ALLOW_PRIVATE_WEBHOOKS: "true",
      // No second try after a failed attempt: the retried delivery fails for good at once.
      WEBHOOK_RETRY_SCHEDULE: "1",
    };
  });
  ({ sandbox, backend, browser } = stack);
  receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const id = String(req.headers["webhook-id"]);
      const again = received.includes(id);
      received.push(id);
      if (again) res.writeHead(500, { "content-type": "text/plain" }).end("receiver down for the e2e");
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/minipay-hook`;
  fullKey = (await cliKey("all", "e2e all scopes")).key;
  orders = await shopperOrders();
  await recordAnomaly(orders.paidId, orders.paid);
}, 240_000);

afterAll(async () => {
  await stack?.close();
  await new Promise((r) => (receiver ? receiver.close(r) : r(undefined)));
});

/** The backend's database, opened as the `minipay` CLI opens it. */
async function withDb<T>(fn: (db: ReturnType<typeof createDb>) => Promise<T>): Promise<T> {
  const opened = await openDatabase(backend.config, () => undefined);
  try {
    return await fn(createDb(opened.ds));
  } finally {
    await opened.close();
  }
}

/** One SQL statement on the backend's database: seeding thousands of rows the shop would take
 * minutes to make. */
async function sql(text: string, params: unknown[]): Promise<void> {
  const opened = await openDatabase(backend.config, () => undefined);
  try {
    await opened.ds.query(text, params);
  } finally {
    await opened.close();
  }
}

const KEY = /^mk_[A-Za-z0-9_-]{43}$/;

/**
 * `minipay key create` as an operator runs it (the committed bin shim over backend/dist), on the
 * backend's database (its DATABASE_URL and DATA_DIR, nothing else of this process's env): the key
 * is the last line printed. The key never goes into an assertion message or an error: a run's
 * output is kept.
 */
async function cliKey(scopes: "all" | AdminScope[], name: string): Promise<{ id: string; key: string }> {
  const args = ["key", "create", "--scopes", scopes === "all" ? "all" : scopes.join(","), "--name", name];
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(path.join(repoRoot, "backend/bin/minipay.js"), args, {
        cwd: repoRoot,
        env: {
          PATH: process.env.PATH,
          DATABASE_URL: backend.config.DATABASE_URL,
          DATA_DIR: backend.config.dataDir,
        },
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (err += d));
      child.on("error", reject);
      child.on("close", (c) => resolve({ code: c, stdout: out, stderr: err }));
    },
  );
  const lines = stdout.trim().split("\n");
  const key = lines.pop() ?? "";
  const hidden = stdout.replace(/mk_[A-Za-z0-9_-]+/g, "mk_…");
  if (code !== 0 || !KEY.test(key))
    throw new Error(`minipay ${args.join(" ")} exited ${code}:\n${hidden}\n${stderr}`);
  const granted = scopes === "all" ? ADMIN_SCOPES : scopes;
  const head = /^created key (\S+) "(.*)" for (mch_\w+): (\S+)$/.exec(lines[0] ?? "");
  if (!head || head[2] !== name || head[4] !== granted.join(","))
    throw new Error(`minipay ${args.join(" ")} printed an unexpected first line:\n${hidden}`);
  return { id: head[1]!, key };
}

/** An anomaly on the paid order, recorded through the repository settle uses when a notify's
 * amount disagrees with the order (making WeChat send a wrong amount is not the console's test). */
function recordAnomaly(orderId: string, outTradeNo: string): Promise<void> {
  return withDb(async (db) => {
    const [merchant] = await db.repos.merchants.list();
    await db.repos.events.anomaly({
      merchantId: merchant!.id,
      orderId,
      outTradeNo,
      kind: "amount_mismatch",
      source: "notify",
      facts: { expectedFen: 990, notifiedFen: 1 },
    });
  });
}

const fetchAdapter: HttpAdapter = async (req) => {
  const res = await fetch(req.url, {
    method: req.method,
    headers: req.header,
    body: req.data === undefined ? undefined : JSON.stringify(req.data),
  });
  const text = await res.text();
  return { statusCode: res.status, data: text ? JSON.parse(text) : null };
};

async function control(p: string, body: unknown): Promise<any> {
  const res = await fetch(`${sandbox.url}/__sandbox/${p}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`sandbox ${p}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Orders beyond the two the journeys look at: 22 in all, two pages of 20. */
const EXTRA_ORDERS = 20;

/** A shopper (through the shared client and the sandbox) pays one order and leaves one unpaid
 * (then makes EXTRA_ORDERS more, unpaid). */
async function shopperOrders(): Promise<typeof orders> {
  const anon = createApi({
    http: fetchAdapter,
    baseUrl: backend.url,
    token: () => null,
    relogin: async () => undefined,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  });
  const { appid } = await anon.config();
  const { code } = await control("login-codes", { appid });
  const { token } = await anon.login(code);
  const api = createApi({
    http: fetchAdapter,
    baseUrl: backend.url,
    token: () => token,
    relogin: async () => undefined,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  });
  const paid = await api.createOrder(
    { items: [{ productId: "red-envelope", quantity: 1 }] },
    `k-${Date.now()}-1`,
  );
  const pay = await api.createPayment(paid.id, "jsapi");
  if (pay.method !== "jsapi") throw new Error("expected a jsapi payment");
  await control("pay", { prepay_id: pay.params.package.slice("prepay_id=".length) });
  for (let i = 0; i < 100 && (await api.verify(paid.id)).state !== "paid"; i++)
    await new Promise((r) => setTimeout(r, 200));
  const unpaid = await api.createOrder(
    { items: [{ productId: "mooncake", quantity: 2 }] },
    `k-${Date.now()}-2`,
  );
  for (let i = 0; i < EXTRA_ORDERS; i++)
    await api.createOrder({ items: [{ productId: "test-1-fen", quantity: 1 }] }, `k-${Date.now()}-x${i}`);
  return { paid: paid.outTradeNo, paidId: paid.id, unpaid: unpaid.outTradeNo };
}

/** The page at desktop size, then narrow (390×844), then back. */
async function shotBoth(page: Page, name: string) {
  const size = page.viewportSize()!;
  await shot(page, `${name}-1440`);
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, `${name}-390`);
  await page.setViewportSize(size);
}

const sel = (test: string) => `[data-test="${test}"]`;

/** A fresh browser tab (no session storage carried over); screenshot on failure. */
function visit(name: string, fn: (page: Page) => Promise<void>, viewport = { width: 1440, height: 900 }) {
  return inFreshContext(browser, { viewport, locale: "zh-CN", timezoneId: "Europe/London" }, shot, name, fn);
}

/** The H5 shop (the mini-program's H5 build, served at /app/) as a new shopper on a phone sees it
 * once its product list has loaded; screenshot NAME. */
function inShop(name: string, fn: (page: Page) => Promise<void>) {
  const phone = { viewport: { width: 390, height: 844 }, locale: "zh-CN", timezoneId: "Europe/London" };
  return inFreshContext(browser, phone, shot, name, async (page) => {
    await page.goto(`${backend.url}/app/`);
    // The list is drawn at once from one answer: a price shown means every product is.
    await page
      .locator(`[data-test^="product-"] ${sel("price")}`)
      .first()
      .waitFor({ timeout: 20_000 });
    await shot(page, name);
    await fn(page);
  });
}

async function signIn(page: Page, key: string) {
  await page.goto(`${backend.url}/console/`);
  await page.locator(sel("key-input")).fill(key);
  await page.locator(sel("sign-in")).click();
  await page.locator(sel("nav")).waitFor({ timeout: 20_000 });
  // The key is in session storage, and nowhere else a page can keep it.
  const stored = await page.evaluate(() => ({
    session: Object.values(sessionStorage),
    local: Object.values(localStorage),
    url: location.href,
  }));
  // (Yes/no checks: a failing one does not print the key.)
  expect(stored.session.includes(key)).toBe(true);
  expect(stored.local).toEqual([]);
  expect(stored.url.includes(key)).toBe(false);
}

const row = (page: Page, outTradeNo: string) =>
  page.locator(`${sel("order-row")}[data-out-trade-no="${outTradeNo}"]`);

describe("merchant console in a real browser", () => {
  it("signs in, lists the shop's orders, opens one, closes an unpaid one after confirming", async () => {
    await visit("orders", async (page) => {
      await page.goto(`${backend.url}/console/`);
      await page.locator(sel("sign-in-form")).waitFor({ timeout: 20_000 });
      await shotBoth(page, "1-sign-in");
      await page.locator(sel("key-input")).fill("mk_" + "x".repeat(43));
      await page.locator(sel("sign-in")).click();
      expect(await page.locator(sel("error")).innerText()).toContain("UNAUTHENTICATED");

      await signIn(page, fullKey);
      await page.locator(sel("nav-orders")).click();
      await row(page, orders.paid).waitFor({ timeout: 20_000 });
      expect(await row(page, orders.paid).getAttribute("data-state")).toBe("paid");
      expect(await row(page, orders.paid).locator(sel("order-total")).innerText()).toBe("¥9.90");
      expect(await row(page, orders.unpaid).getAttribute("data-state")).toBe("created");
      expect(await row(page, orders.paid).innerText()).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
      await shotBoth(page, "2-orders");

      // Keyset pages: 20, then "load more" brings the last 2 and says everything is loaded.
      await page.locator(sel("page-size")).selectOption("20");
      await page.locator(sel("search")).click();
      await page.locator(sel("load-more")).waitFor({ timeout: 20_000 });
      expect(await page.locator(sel("order-row")).count()).toBe(20);
      await page.locator(sel("load-more")).click();
      await page.locator(sel("all-loaded")).waitFor({ timeout: 20_000 });
      expect(await page.locator(sel("order-row")).count()).toBe(2 + EXTRA_ORDERS);
      const seen = await page
        .locator(sel("order-row"))
        .evaluateAll((rs) => rs.map((r) => r.getAttribute("data-out-trade-no")));
      expect(new Set(seen).size).toBe(seen.length); // no order twice across the pages

      // The state filter asks the API again and keeps only paid orders.
      await page.locator(sel("filter-state")).selectOption("paid");
      await page.locator(sel("search")).click();
      // The list empties while the filtered page loads, then holds only its answer.
      await row(page, orders.unpaid).waitFor({ state: "detached", timeout: 20_000 });
      await row(page, orders.paid).waitFor({ timeout: 20_000 });
      expect(await page.locator(sel("order-row")).count()).toBe(1);
      // The export is of the filter in force: the paid order, not the unpaid one.
      const [download] = await Promise.all([
        page.waitForEvent("download", { timeout: 20_000 }),
        page.locator(sel("export-csv")).click(),
      ]);
      const csv = fs.readFileSync((await download.path())!, "utf8");
      expect(download.suggestedFilename()).toBe("orders.csv");
      expect(csv.charCodeAt(0)).toBe(0xfeff);
      expect(csv).toContain(orders.paid);
      expect(csv).not.toContain(orders.unpaid);

      await row(page, orders.paid).click();
      await page.locator(sel("order-detail")).waitFor({ timeout: 20_000 });
      expect(await page.locator(sel("detail-out-trade-no")).innerText()).toBe(orders.paid);
      expect(await page.locator(sel("item-row")).count()).toBe(1);
      expect(await page.locator(`${sel("event")}`).count()).toBeGreaterThan(0);
      expect(await page.locator(sel("close")).count()).toBe(0); // a paid order cannot be closed
      await shotBoth(page, "3-order-paid");

      await page.goto(`${backend.url}/console/#/orders`);
      await row(page, orders.unpaid).click({ timeout: 20_000 });
      // Sync asks first too; an order WeChat has never seen stays as it is.
      await page.locator(sel("sync")).click({ timeout: 20_000 });
      const [synced] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith("/sync"), { timeout: 20_000 }),
        page.locator(sel("confirm-ok")).click(),
      ]);
      expect(synced.status()).toBe(200);
      await page.locator(`${sel("sync")}:not([disabled])`).waitFor({ timeout: 20_000 });
      expect(await page.locator(sel("action-error")).count()).toBe(0);
      expect(await page.locator(sel("state-badge")).getAttribute("data-state")).toBe("created");
      await page.locator(sel("close")).click({ timeout: 20_000 });
      await page.locator(sel("confirm-dialog")).waitFor();
      expect(await page.locator(sel("confirm-message")).innerText()).toContain("¥");
      await shot(page, "4-close-confirm");
      await page.locator(sel("confirm-cancel")).click();
      expect(await page.locator(sel("state-badge")).getAttribute("data-state")).toBe("created");
      await page.locator(sel("close")).click();
      await page.locator(sel("confirm-ok")).click();
      await page.locator(`${sel("state-badge")}[data-state="closed"]`).waitFor({ timeout: 20_000 });
      expect(await page.locator(sel("close")).count()).toBe(0);
      expect(await page.locator(`${sel("event")}[data-source="admin"]`).count()).toBe(1);
      await shot(page, "5-order-closed");
    });
  });

  it("every page with the all-scope key: dashboard chart, product edit seen by the shop, keys, audit, English", async () => {
    await visit("pages", async (page) => {
      await signIn(page, fullKey);
      await page.locator(sel("nav-dashboard")).click();
      await page.locator(sel("paid-chart")).waitFor({ timeout: 20_000 });
      expect(await page.locator(sel("kpi-today")).innerText()).toBe("¥9.90"); // the one order paid today
      expect(await page.locator(sel("kpi-count")).innerText()).toBe("1");
      expect(await page.locator(sel("kpi-anomalies")).innerText()).toBe("1");
      await shotBoth(page, "7-dashboard");

      await page.locator(sel("nav-products")).click();
      const tea = page.locator(`${sel("product-row")}[data-id="oolong-tea"]`);
      await tea.locator(sel("edit")).click({ timeout: 20_000 });
      await page.locator(sel("product-price")).fill("12.34");
      await shot(page, "8-product-editor");
      await page.locator(sel("product-save")).click();
      await page.locator(sel("product-editor")).waitFor({ state: "detached", timeout: 20_000 });
      expect(await tea.locator(sel("product-price-cell")).innerText()).toBe("¥12.34");
      // A shopper opening the H5 shop now sees the new price.
      await inShop("8-shop-new-price", async (shop) => {
        expect(await shop.locator(`${sel("product-oolong-tea")} ${sel("price")}`).innerText()).toBe("¥12.34");
      });

      await tea.locator(sel("adjust")).click();
      await page.locator(sel("stock-delta")).fill("5");
      await page.locator(sel("stock-save")).click();
      expect(await page.locator(sel("form-error")).innerText()).toBeTruthy(); // a reason is required
      await page.locator(sel("stock-reason")).fill("recount");
      const before = Number(await tea.locator(sel("product-stock-cell")).innerText());
      await page.locator(sel("stock-save")).click();
      await page.locator(sel("stock-editor")).waitFor({ state: "detached", timeout: 20_000 });
      expect(Number(await tea.locator(sel("product-stock-cell")).innerText())).toBe(before + 5);
      await shotBoth(page, "9-products");

      // A new product, priced in yuan, goes on sale at once.
      await page.locator(sel("new-product")).click();
      await page.locator(sel("product-id")).fill("console-e2e");
      await page.locator(sel("product-name")).fill("控制台商品 Console item");
      await page.locator(sel("product-price")).fill("1.5");
      await page.locator(sel("product-stock")).fill("3");
      await page.locator(sel("product-save")).click();
      const added = page.locator(`${sel("product-row")}[data-id="console-e2e"]`);
      expect(await added.locator(sel("product-price-cell")).innerText({ timeout: 20_000 })).toBe("¥1.50");
      expect(await added.locator(sel("product-stock-cell")).innerText()).toBe("3");

      // Archive asks first; the shop stops listing the product.
      const cake = page.locator(`${sel("product-row")}[data-id="mooncake"]`);
      await cake.locator(sel("archive")).click();
      await page.locator(sel("confirm-ok")).click();
      await cake.locator(sel("archived")).waitFor({ timeout: 20_000 });
      await inShop("9-shop-archived-and-new", async (shop) => {
        expect(await shop.locator(`${sel("product-console-e2e")} ${sel("price")}`).innerText()).toBe("¥1.50");
        expect(await shop.locator(sel("product-mooncake")).count()).toBe(0);
        expect(await shop.locator(`${sel("product-oolong-tea")} ${sel("price")}`).innerText()).toBe("¥12.34");
      });

      await page.locator(sel("nav-anomalies")).click();
      const anomaly = page.locator(sel("anomaly")).first();
      await anomaly.locator(sel("resolve")).click({ timeout: 20_000 });
      await page.locator(sel("resolve-save")).click();
      expect(await page.locator(sel("resolve-error")).innerText()).toBeTruthy(); // a note is required
      await page.locator(sel("resolve-note")).fill("notified amount checked with WeChat: fine");
      await shot(page, "10-anomaly-resolve");
      await page.locator(sel("resolve-save")).click();
      await page.locator(sel("empty")).waitFor({ timeout: 20_000 });
      await page.locator(sel("tab-resolved")).click();
      await page.locator(sel("anomaly")).getByText("checked with WeChat").waitFor({ timeout: 20_000 });
      await shotBoth(page, "10-anomalies-resolved");

      await page.locator(sel("nav-keys")).click();
      await page.locator(sel("key-row")).first().waitFor({ timeout: 20_000 });
      await page.locator(sel("new-key")).click();
      await page.locator(sel("key-name")).fill("reports");
      await page.locator(sel("scope-reports:read")).check();
      await page.locator(sel("key-save")).click();
      expect(await page.locator(sel("key-secret-value")).innerText()).toMatch(/^mk_[A-Za-z0-9_-]{43}$/);
      await shotBoth(page, "11-keys-created");

      await page.locator(sel("nav-audit")).click();
      await page.locator(sel("audit-row")).first().waitFor({ timeout: 20_000 });
      const actions = await page.locator(`${sel("audit-row")} td:nth-child(3)`).allInnerTexts();
      expect(actions).toEqual(expect.arrayContaining(["product.update", "product.stock", "api_key.create"]));
      await shotBoth(page, "12-audit");

      await page.locator(sel("lang")).click();
      expect(await page.locator(sel("nav-audit")).innerText()).toBe("Audit log");
      await page.locator(sel("nav-orders")).click();
      await page.locator(sel("order-row")).first().waitFor({ timeout: 20_000 });
      await shotBoth(page, "13-orders-en");
    });
  });

  it("webhook endpoint with its secret once, part of a paid order refunded through the dialog, its delivery, refunds list, a clean reconciliation, then a planted mismatch linked to its order", async () => {
    await visit("refunds", async (page) => {
      await signIn(page, fullKey);

      // An endpoint first, so the refund's event has somewhere to go; its secret is shown once.
      await page.locator(sel("nav-webhooks")).click();
      await page.locator(sel("empty")).first().waitFor({ timeout: 20_000 });
      await page.locator(sel("new-endpoint")).click();
      await page.locator(sel("endpoint-url")).fill(receiverUrl);
      await page.locator(sel("endpoint-description")).fill("e2e receiver");
      await page.locator(sel("endpoint-save")).click();
      const secret = await page.locator(sel("endpoint-secret-value")).innerText({ timeout: 20_000 });
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
      await page.locator(sel("endpoint-row")).waitFor({ timeout: 20_000 }); // the list, read again
      expect(await page.locator(sel("endpoint-row")).count()).toBe(1);
      expect(await page.locator(sel("endpoint-row")).innerText()).not.toContain(secret);
      await shotBoth(page, "14-webhooks-secret");
      await page.locator(sel("nav-orders")).click();
      await page.locator(sel("nav-webhooks")).click();
      await page.locator(sel("endpoint-row")).waitFor({ timeout: 20_000 });
      expect(await page.locator(sel("endpoint-secret")).count()).toBe(0); // once only

      // The refund dialog: remainder, amount in yuan checked, a confirm, then the refund succeeds.
      await page.goto(`${backend.url}/console/#/orders/${orders.paidId}`);
      await page.locator(sel("refund")).click({ timeout: 20_000 });
      expect(await page.locator(sel("refund-remainder")).innerText()).toBe("¥9.90");
      await page.locator(sel("refund-amount")).fill("9.91");
      await page.locator(sel("refund-send")).click();
      expect(await page.locator(sel("refund-error")).innerText()).toContain("¥9.90");
      await page.locator(sel("refund-amount")).fill("3");
      await page.locator(sel("refund-reason")).fill("e2e partial refund");
      await page.locator(sel("refund-send")).click();
      await page.locator(sel("confirm-dialog")).waitFor();
      expect(await page.locator(sel("confirm-message")).innerText()).toContain("¥3.00");
      await shot(page, "15-refund-confirm");
      // The first answer is lost on the way back (the server made the refund, the browser sees a
      // network error); sending again reuses the dialog's Idempotency-Key, so the server replays
      // that refund (200) instead of making a second one.
      const keys: string[] = [];
      let dropped = false;
      await page.route("**/admin/v1/orders/*/refunds", async (route) => {
        keys.push(route.request().headers()["idempotency-key"] ?? "");
        const res = await route.fetch();
        if (dropped) return route.fulfill({ response: res });
        dropped = true;
        expect(res.status()).toBe(201);
        await route.abort("connectionreset");
      });
      await page.locator(sel("confirm-ok")).click();
      expect(await page.locator(sel("refund-error")).innerText({ timeout: 20_000 })).toContain("NETWORK");
      await page.locator(sel("refund-send")).click();
      const [sent] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith("/refunds") && r.request().method() === "POST", {
          timeout: 20_000,
        }),
        page.locator(sel("confirm-ok")).click(),
      ]);
      expect(sent.status()).toBe(200); // replayed
      expect(keys).toHaveLength(2);
      expect(keys[0]).toMatch(/^console-[0-9a-f-]{36}$/);
      expect(keys[1]).toBe(keys[0]);
      await page.unroute("**/admin/v1/orders/*/refunds");
      expect(await page.locator(sel("refund-dialog")).count()).toBe(0);
      // The page looks again while the refund is on its way; WeChat (the sandbox) notifies success.
      await page.locator(`${sel("refund-row")}[data-state="succeeded"]`).waitFor({ timeout: 60_000 });
      await page
        .locator(`${sel("state-badge")}[data-state="partially_refunded"]`)
        .waitFor({ timeout: 20_000 });
      expect(await page.locator(sel("detail-refunded")).innerText()).toBe("¥3.00");
      expect(await page.locator(sel("detail-refundable")).innerText()).toBe("¥6.90");
      expect(await page.locator(sel("refund-amount-cell")).allInnerTexts()).toEqual(["¥3.00"]); // one refund

      // The refund's webhook delivery shows up with the order (the detail looks again once the
      // refund settles, while the event is fanned out); retry it.
      const delivery = page.locator(`${sel("delivery-row")}[data-event="refund.succeeded"]`);
      await delivery.waitFor({ timeout: 30_000 });
      await shotBoth(page, "16-order-refunded");
      await delivery.locator(sel("delivery-retry")).click();
      const [retried] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith("/retry"), { timeout: 20_000 }),
        page.locator(sel("confirm-ok")).click(),
      ]);
      expect(retried.status()).toBe(200);

      await page.locator(sel("nav-refunds")).click();
      const listed = page.locator(`${sel("refunds-row")}[data-state="succeeded"]`);
      await listed.waitFor({ timeout: 20_000 });
      expect(await page.locator(sel("refunds-row")).count()).toBe(1);
      await shotBoth(page, "17-refunds");
      await listed.locator(sel("refund-order-link")).click();
      expect(await page.locator(sel("detail-out-trade-no")).innerText({ timeout: 20_000 })).toBe(orders.paid);

      // The retry got a 500: the webhooks page lists the delivery as failed (status filter), its
      // attempts open with status, latency and the head of the answer.
      await page.locator(sel("nav-webhooks")).click();
      await page.locator(sel("delivery-filter-status")).selectOption("failed");
      const failed = page.locator(`${sel("delivery-row")}[data-status="failed"]`);
      for (let i = 0; i < 30 && !(await failed.count()); i++) {
        await page.waitForTimeout(1000);
        await page.locator(sel("delivery-search")).click();
        await page.locator(`${sel("delivery-filters")} ~ ${sel("loading")}`).waitFor({ state: "detached" });
      }
      await failed.waitFor({ timeout: 20_000 });
      expect(await failed.getAttribute("data-event")).toBe("refund.succeeded");
      await failed.locator(sel("delivery-attempts")).click();
      const attempts = page.locator(sel("delivery-attempt"));
      await attempts.first().waitFor({ timeout: 20_000 });
      expect(await attempts.count()).toBe(2);
      expect(await attempts.allInnerTexts()).toEqual([
        expect.stringContaining("204"),
        expect.stringContaining("500"),
      ]);
      expect(await attempts.nth(1).innerText()).toContain("receiver down for the e2e");
      await shotBoth(page, "18-webhook-deliveries");
      // Rotate (confirmed; a new secret, shown once), disable, then delete (confirmed).
      const endpoint = page.locator(sel("endpoint-row"));
      await endpoint.locator(sel("endpoint-rotate")).click();
      await page.locator(sel("confirm-ok")).click();
      await page.locator(sel("endpoint-secret-value")).waitFor({ timeout: 20_000 });
      const rotated = await page.locator(sel("endpoint-secret-value")).innerText();
      expect(rotated).toMatch(/^whsec_/);
      expect(rotated).not.toBe(secret);
      await endpoint.locator(sel("endpoint-toggle")).click();
      await page.locator(`${sel("endpoint-row")}[data-enabled="false"]`).waitFor({ timeout: 20_000 });
      await endpoint.locator(sel("endpoint-delete")).click();
      await page.locator(sel("confirm-ok")).click();
      await endpoint.waitFor({ state: "detached", timeout: 20_000 });

      // Reconciliation of today's bill: the payment and its refund match, no mismatch.
      await page.locator(sel("nav-reconciliation")).click();
      await page.locator(sel("recon-form")).waitFor({ timeout: 20_000 });
      const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
      await page.locator(sel("recon-date")).fill(today);
      await page.locator(sel("recon-run")).click();
      await page.locator(`${sel("recon-detail")}[data-status="completed"]`).waitFor({ timeout: 30_000 });
      await page.locator(sel("recon-no-mismatch")).waitFor();
      expect(Number(await page.locator(sel("recon-matched")).innerText())).toBeGreaterThanOrEqual(1);
      await shot(page, "19-reconciliation-run");
      await page.locator(sel("recon-back")).click();
      const run = page.locator(`${sel("recon-row")}[data-date="${today}"]`);
      await run.waitFor({ timeout: 20_000 });
      expect(await run.getAttribute("data-mismatches")).toBe("0");

      // The same day again with the bill stating another amount for the paid order (a sandbox
      // plant): the run counts one amount mismatch and links it to the order.
      await control("scenarios", [
        { match: { out_trade_no: orders.paid }, action: "bill_amount", amount_fen: 991 },
      ]);
      await page.locator(sel("recon-date")).fill(today);
      await page.locator(sel("recon-run")).click();
      const mismatch = page.locator(`${sel("mismatch-row")}[data-kind="amount_mismatch"]`);
      await mismatch.waitFor({ timeout: 30_000 });
      expect(await page.locator(sel("mismatch-row")).count()).toBe(1);
      await shot(page, "19-reconciliation-mismatch");
      await page.locator(sel("recon-back")).click();
      await page.locator(`${sel("recon-row")}[data-mismatches="1"]`).waitFor({ timeout: 20_000 });
      expect(await page.locator(`${sel("recon-row")}[data-date="${today}"]`).count()).toBe(2);
      await shotBoth(page, "20-reconciliation");
      await page.locator(`${sel("recon-row")}[data-mismatches="1"]`).click();
      await mismatch.locator(sel("mismatch-order")).click({ timeout: 20_000 });
      expect(await page.locator(sel("detail-out-trade-no")).innerText({ timeout: 20_000 })).toBe(orders.paid);

      await page.locator(sel("nav-dashboard")).click();
      await page.locator(sel("paid-chart")).waitFor({ timeout: 20_000 });
      expect(await page.locator(sel("kpi-refunded")).innerText()).toBe("¥3.00");
      expect(await page.locator(sel("kpi-webhook-failures")).innerText()).toBe("1"); // the retried one
      await shotBoth(page, "21-dashboard-refunds");
    });
  }, 180_000);

  it("a read-only key made by the CLI sees the products but not the editor, no close or refund button; revoked, it is signed out", async () => {
    const { key: readOnly, id: readOnlyId } = await cliKey(["orders:read", "products:read"], "read only");
    await visit(
      "read-only",
      async (page) => {
        await signIn(page, readOnly);
        const nav = await page
          .locator(`${sel("nav")} a`)
          .evaluateAll((as) => as.map((a) => a.getAttribute("data-test")));
        expect(nav).toEqual(["nav-orders", "nav-refunds", "nav-products", "nav-anomalies"]);
        await page.locator(sel("nav-products")).click();
        await page.locator(sel("product-row")).first().waitFor({ timeout: 20_000 });
        expect(await page.locator(sel("product-editor")).count()).toBe(0);
        expect(await page.locator(sel("new-product")).count()).toBe(0);
        await shot(page, "6-products-read-only-narrow");
        // A page it cannot open, asked for by address, is not shown: it lands on its own first page.
        await page.goto(`${backend.url}/console/#/keys`);
        await page.locator(sel("order-filters")).waitFor({ timeout: 20_000 });
        await row(page, orders.paid).click({ timeout: 20_000 });
        await page.locator(sel("order-detail")).waitFor({ timeout: 20_000 });
        expect(await page.locator(sel("close")).count()).toBe(0);
        // Partly refunded, it could take another refund, but not from a key without refunds:write.
        expect(await page.locator(sel("state-badge")).getAttribute("data-state")).toBe("partially_refunded");
        expect(await page.locator(sel("refund")).count()).toBe(0);
        expect(await page.locator(sel("order-deliveries")).count()).toBe(0);

        // Revoked while the console is open: the next call is refused and the console signs out.
        const revoked = await fetch(`${backend.url}${ADMIN_PREFIX}/keys/${readOnlyId}`, {
          method: "DELETE",
          headers: { authorization: `Bearer ${fullKey}` },
        });
        expect(revoked.status).toBe(204);
        await page.locator(sel("nav-products")).click();
        await page.locator(sel("sign-in-form")).waitFor({ timeout: 20_000 });
        expect(await page.evaluate(() => Object.values(sessionStorage))).toEqual([]);
      },
      { width: 390, height: 844 },
    );
  });

  it("thousands of loaded orders: only a window of rows is in the DOM, the last one is reached by scrolling, a deep one opens", async () => {
    // 3,000 closed orders of the shopper, straight into PostgreSQL (making them through the shop
    // would take minutes), older than the shop's so they list after them.
    const SEEDED = 3000;
    await sql(
      `INSERT INTO orders (user_id, merchant_id, out_trade_no, state, total_fen, description,
           idempotency_key, request_hash, stock_released, expires_at, created_at, updated_at)
         SELECT o.user_id, o.merchant_id, 'SEED' || lpad(g::text, 5, '0'), 'closed', 100 + g,
           'seeded ' || g, 'seed-' || g, 'seed', true, now() - interval '1 day',
           now() - interval '1 day' - g * interval '1 second', now()
         FROM orders o, generate_series(1, $2) g WHERE o.out_trade_no = $1`,
      [orders.paid, SEEDED],
    );
    const total = 2 + EXTRA_ORDERS + SEEDED;
    await visit("many-orders", async (page) => {
      await signIn(page, fullKey);
      await page.locator(sel("nav-orders")).click();
      await page.locator(sel("page-size")).selectOption("100");
      await page.locator(sel("search")).click();
      // "Load more" to the end, 100 at a time, as a merchant would.
      for (let i = 0; i < 2 * (total / 100); i++) {
        await page
          .locator(`${sel("load-more")}:not([disabled]), ${sel("all-loaded")}`)
          .waitFor({ timeout: 30_000 });
        if (await page.locator(sel("all-loaded")).count()) break;
        await page.locator(sel("load-more")).click();
      }
      await page.locator(sel("all-loaded")).waitFor({ timeout: 30_000 });
      expect(await page.locator(sel("loaded-count")).innerText()).toContain(String(total));
      const drawn = () => page.locator(sel("order-row")).count();
      expect(await drawn()).toBeLessThan(100);
      const scroller = page.locator(sel("orders-scroller"));
      // The spacers keep the scrollbar the length of every loaded row.
      expect(await scroller.evaluate((el) => el.scrollHeight)).toBeGreaterThanOrEqual(total * 40);

      // The keyboard scrolls the list: End reaches the oldest order, drawn and in view.
      await scroller.focus();
      await page.keyboard.press("End");
      const last = row(page, `SEED${String(SEEDED).padStart(5, "0")}`);
      await last.waitFor({ timeout: 20_000 });
      expect(await last.getAttribute("data-index")).toBe(String(total - 1));
      expect(await last.isVisible()).toBe(true);
      expect(await drawn()).toBeLessThan(100);
      await shot(page, "14-orders-many-bottom");

      // Scrolled to the middle, a row from there opens its order.
      await scroller.evaluate((el) => (el.scrollTop = 1500 * 40));
      const deep = page.locator(`${sel("order-row")}[data-index="1500"]`);
      await deep.waitFor({ timeout: 20_000 });
      expect(await drawn()).toBeLessThan(100);
      const outTradeNo = await deep.getAttribute("data-out-trade-no");
      expect(outTradeNo).toMatch(/^SEED\d{5}$/);
      await deep.click();
      await page.locator(sel("order-detail")).waitFor({ timeout: 20_000 });
      expect(await page.locator(sel("detail-out-trade-no")).innerText({ timeout: 20_000 })).toBe(outTradeNo);
    });
  }, 180_000);

  it("a thousand loaded refunds: the refunds list is windowed too, its last one reached from the keyboard", async () => {
    // Closed refunds of the paid order straight into PostgreSQL, older than the real one.
    const SEEDED = 1000;
    await sql(
      `INSERT INTO refunds (merchant_id, order_id, out_trade_no, out_refund_no, amount_fen, reason,
           state, idempotency_key, request_hash, created_at, updated_at)
         SELECT o.merchant_id, o.id, o.out_trade_no, 'SEEDR' || lpad(g::text, 5, '0'), 1, 'seeded ' || g,
           'closed', 'seed-refund-' || g, 'seed', now() - interval '1 day' - g * interval '1 second', now()
         FROM orders o, generate_series(1, $2) g WHERE o.id = $1`,
      [orders.paidId, SEEDED],
    );
    const total = 1 + SEEDED;
    await visit("many-refunds", async (page) => {
      await signIn(page, fullKey);
      await page.locator(sel("nav-refunds")).click();
      await page.locator(sel("refunds-row")).first().waitFor({ timeout: 20_000 });
      // "Load more" to the end, 50 at a time: after each click, wait until the button is back
      // (another page to load) or gone (that was the last).
      for (let i = 0; i < 2 * (total / 50) && (await page.locator(sel("refunds-more")).count()); i++) {
        await page.locator(sel("refunds-more")).click({ timeout: 30_000 });
        await page.waitForFunction(
          () => !(document.querySelector('[data-test="refunds-more"]') as HTMLButtonElement | null)?.disabled,
          undefined,
          { timeout: 30_000 },
        );
      }
      expect(await page.locator(sel("refunds-more")).count()).toBe(0);
      const drawn = () => page.locator(sel("refunds-row")).count();
      expect(await drawn()).toBeLessThan(100);
      const scroller = page.locator(sel("refunds-scroller"));
      expect(await scroller.evaluate((el) => el.scrollHeight)).toBeGreaterThanOrEqual(total * 40);
      await scroller.focus();
      await page.keyboard.press("End");
      const last = page.locator(`${sel("refunds-row")}[data-index="${total - 1}"]`);
      await last.waitFor({ timeout: 20_000 });
      expect(await last.isVisible()).toBe(true);
      expect(await last.getAttribute("data-state")).toBe("closed");
      expect(await last.locator(sel("refund-order-link")).innerText()).toBe(orders.paid);
      expect(await drawn()).toBeLessThan(100);
      await shot(page, "22-refunds-many-bottom");
    });
  }, 180_000);
});
