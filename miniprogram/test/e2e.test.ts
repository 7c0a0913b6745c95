/**
 * The shopper's whole journey in a real headless Chromium (from npm: @sparticuz/chromium +
 * playwright-core) at 375×812, against the H5 build served by the real backend, paying in the real
 * sandbox's cashier: pay → paid; back from the cashier → still one order; cancel → pay again;
 * notify dropped → paid through verify; a QR paid after 40 s (the page's clock is faked) → paid;
 * WeChat timing out → a retry, not a spinner; an English system → English only.
 * Screenshots of every page go to test-artifacts/e2e/.
 */
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import type { Running } from "../../backend/src/boot";
import type { RunningSandbox } from "../../sandbox/src";
import {
  builtH5,
  inFreshContext,
  screenshots,
  startBrowserStack,
  type BrowserStack,
} from "../../backend/test/helpers/browser";

const dir = path.resolve(__dirname, "..");
const shot = screenshots(path.resolve(dir, "../test-artifacts/e2e"), 300); // let transitions settle
let stack: BrowserStack;
let sandbox: RunningSandbox;
let backend: Running;
let browser: Browser;

beforeAll(async () => {
  stack = await startBrowserStack("e2e", async () => ({
    H5_DIST_DIR: await builtH5(),
    // A short WeChat timeout keeps the "WeChat times out" journey bounded (3 tries ≈ 3 s).
    WECHAT_TIMEOUT_MS: "1000",
  }));
  ({ sandbox, backend, browser } = stack);
}, 180_000);

afterAll(() => stack?.close());

/** Run a journey in a fresh browser context (a new shopper); screenshot on failure. */
function journey(
  name: string,
  fn: (page: Page) => Promise<void>,
  opts: { locale?: string; fakeClock?: boolean } = {},
) {
  const phone = {
    viewport: { width: 375, height: 812 },
    deviceScaleFactor: 2,
    locale: opts.locale ?? "zh-CN",
    timezoneId: "Europe/London", // not China: times must still show in China time
  };
  return inFreshContext(browser, phone, shot, name, async (page) => {
    if (opts.fakeClock) await page.clock.install();
    await fn(page);
  });
}

const sel = (test: string) => `[data-test="${test}"]`;

async function toConfirm(page: Page, product: string, prefix?: string) {
  await page.goto(`${backend.url}/app/`);
  await page.locator(sel(`plus-${product}`)).click({ timeout: 20_000 });
  if (prefix) {
    await shot(page, `${prefix}-1-shop`);
    expect(await smallTargets(page)).toEqual([]);
  }
  await page.locator(sel("checkout")).click();
  await page.locator(sel("total")).waitFor({ timeout: 20_000 });
  if (prefix) await shot(page, `${prefix}-2-confirm`);
}

/** Taps pay on the confirm page and waits for the sandbox's cashier. */
async function toCashier(page: Page) {
  await page.locator(sel("pay")).click();
  await page.locator(sel("cashier-pay")).waitFor({ timeout: 20_000 });
}

/** Opens My orders from the result page and waits for its first row (in `state`, if given). */
async function toMyOrders(page: Page, state?: string) {
  await page.locator(sel("my-orders")).click();
  await page
    .locator(state ? `${sel("order-row")}[data-state="${state}"]` : sel("order-row"))
    .first()
    .waitFor({ timeout: 20_000 });
}

async function buyOne(page: Page, product: string, prefix?: string) {
  await toConfirm(page, product, prefix);
  await toCashier(page);
  if (prefix) await shot(page, `${prefix}-3-cashier`);
}

const resultState = (page: Page, state: string, timeout = 40_000) =>
  page.locator(`${sel("result-state")}[data-state="${state}"]`).waitFor({ timeout });

/** Pays (or cancels) in the cashier and waits for the result page to say so. */
async function payAtCashier(page: Page) {
  await page.locator(sel("cashier-pay")).click();
  await resultState(page, "paid");
}
async function cancelAtCashier(page: Page) {
  await page.locator(sel("cashier-cancel")).click();
  await resultState(page, "paying");
}

async function control(method: "POST" | "DELETE", p: string, body?: unknown): Promise<any> {
  const res = await fetch(`${sandbox.url}/__sandbox/${p}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** The UI's own text (server data such as product names excluded) has no Chinese in it. */
async function uiText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const body = document.body.cloneNode(true) as HTMLElement;
    body.querySelectorAll("[data-user-content], script, style").forEach((n) => n.remove());
    return (body.textContent ?? "").replace(/\s+/g, " ");
  });
}

/** Buttons and tabs on the page smaller than a 44 px tap target. */
async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll("uni-button, .tabs__item"))
      .map((el) => ({ el, r: el.getBoundingClientRect() }))
      .filter(({ r }) => r.width > 0 && (r.height < 44 || r.width < 44))
      .map(({ el, r }) => `${el.getAttribute("data-test")}: ${r.width}×${r.height}`),
  );
}

describe("H5 shop in a real browser", () => {
  it("shop → confirm (quote) → sandbox cashier → result paid → my orders → order detail", async () => {
    await journey("pay", async (page) => {
      await toConfirm(page, "red-envelope", "zh");
      expect(await smallTargets(page)).toEqual([]);
      await toCashier(page);
      await shot(page, "zh-3-cashier");
      expect(await page.locator(sel("cashier-amount")).innerText()).toBe("¥9.90");
      await payAtCashier(page);
      expect(await page.locator(sel("amount")).innerText()).toBe("¥9.90");
      expect(await page.locator(sel("paid-at")).innerText()).toMatch(
        /支付时间 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/,
      );
      await page.locator(sel("done")).waitFor();
      await shot(page, "zh-4-result-paid");
      expect(await smallTargets(page)).toEqual([]);
      await toMyOrders(page, "paid");
      await shot(page, "zh-5-orders");
      expect(await smallTargets(page)).toEqual([]);
      await page.locator(sel("tab-unpaid")).click();
      await page.locator(sel("empty")).waitFor();
      await page.locator(sel("tab-all")).click();
      await page.locator(sel("order-row")).first().click();
      await page.locator(sel("detail-state")).waitFor();
      expect(await page.locator(sel("paid-at")).innerText()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      // 微信支付单号: the sandbox's transaction ids are 28 digits, like WeChat's.
      expect(await page.locator(sel("transaction-id")).innerText()).toMatch(/^\d{28}$/);
      await shot(page, "zh-6-order-detail");
    });
  });

  it("back from the cashier and pay again: still one order (one key per confirm visit)", async () => {
    await journey("back", async (page) => {
      await buyOne(page, "oolong-tea");
      const firstCashier = page.url();
      await page.goBack();
      await page.locator(sel("total")).waitFor({ timeout: 20_000 });
      await toCashier(page);
      expect(page.url()).toBe(firstCashier); // the same order's same prepay
      await payAtCashier(page);
      await toMyOrders(page);
      expect(await page.locator(sel("order-row")).count()).toBe(1);
    });
  });

  it("cancel in the cashier leaves the order payable, and paying again succeeds", async () => {
    await journey("cancel", async (page) => {
      await buyOne(page, "mooncake");
      await cancelAtCashier(page);
      await page.locator(sel("pay-again")).waitFor();
      await shot(page, "zh-7-result-cancelled");
      await page.locator(sel("pay-again")).click();
      await page.locator(sel("cashier-pay")).click({ timeout: 20_000 });
      await resultState(page, "paid");
      await toMyOrders(page, "paid");
      expect(await page.locator(sel("order-row")).count()).toBe(1);
    });
  });

  it("an unpaid order shows a countdown and can be paid from its detail page", async () => {
    await journey("unpaid", async (page) => {
      await buyOne(page, "mooncake");
      await cancelAtCashier(page);
      await page.locator(sel("my-orders")).click();
      await page.locator(sel("tab-unpaid")).click();
      await page
        .locator(`${sel("order-row")}[data-state="paying"]`)
        .first()
        .click({ timeout: 20_000 });
      await page.locator(sel("countdown")).waitFor({ timeout: 20_000 });
      expect(await page.locator(sel("countdown")).innerText()).toMatch(/剩余支付时间 \d\d:\d\d/);
      await shot(page, "zh-8-order-unpaid");
    });
  });

  it("no answer after ~30 s: says the payment is being confirmed, with a re-check and My orders", async () => {
    await journey(
      "confirming",
      async (page) => {
        await buyOne(page, "mooncake");
        await cancelAtCashier(page);
        // Come back as if the sheet had said ok while WeChat has no payment: the page waits, then says so.
        const url = page.url().replace(/payResult=cancel/, "payResult=ok");
        await page.goto("about:blank");
        await page.goto(url);
        await resultState(page, "paying");
        for (let i = 0; i < 8; i++) await page.clock.fastForward(5_000);
        await page.locator(sel("recheck")).waitFor({ timeout: 10_000 });
        expect(await page.locator(sel("hint")).innerText()).toContain("我的订单");
        await shot(page, "zh-12-result-confirming");
      },
      { fakeClock: true },
    );
  });

  it("with the notify dropped, the result page still reaches paid through verify", async () => {
    await control("POST", "scenarios", { action: "drop_notify" });
    try {
      await journey("dropped", async (page) => {
        await buyOne(page, "oolong-tea");
        await payAtCashier(page);
      });
      const a: any = await (await fetch(`${sandbox.url}/__sandbox/notifications`)).json();
      expect(a.notifications.some((x: any) => x.dropped)).toBe(true);
    } finally {
      await control("DELETE", "scenarios");
    }
  });

  it("a QR code paid after 40 s turns to paid (the page's clock is faked, the wait is real logic)", async () => {
    await journey(
      "qr",
      async (page) => {
        await toConfirm(page, "red-envelope");
        await page.locator(sel("pay-native")).click();
        await page.locator(sel("native-qr")).waitFor({ timeout: 20_000 });
        await page.locator(sel("out-trade-no")).waitFor();
        await shot(page, "zh-9-result-qr");
        const outTradeNo = (await page.locator(sel("out-trade-no")).innerText()).trim();
        await page.clock.fastForward(40_000);
        await page.locator(sel("native-qr")).waitFor(); // still live, still polling
        const paid = await control("POST", "pay", { out_trade_no: outTradeNo });
        expect(paid.status).toBe(200);
        for (let i = 0; i < 4; i++) await page.clock.fastForward(5_000);
        await resultState(page, "paid", 20_000);
        await shot(page, "zh-10-result-qr-paid");
      },
      { fakeClock: true },
    );
  });

  it('"我已完成支付" checks at once', async () => {
    await journey(
      "qr-ipaid",
      async (page) => {
        await toConfirm(page, "red-envelope");
        await page.locator(sel("pay-native")).click();
        await page.locator(sel("out-trade-no")).waitFor({ timeout: 20_000 });
        const outTradeNo = (await page.locator(sel("out-trade-no")).innerText()).trim();
        // The button must be on the page before the clock stops: rendering may wait on a timer.
        await page.locator(sel("i-paid")).waitFor();
        // Stop the page's clock about where it is (a long jump would fire the poller's timers and
        // re-render mid-jump): the poller sleeps and no timer fires from here on. The page clock keeps
        // running between reading it and pausing, so aim a second ahead (a poll it fires finds the
        // order unpaid: WeChat is paid only below).
        const inFlight = countRequests(page);
        await pauseSoon(page);
        // The jump may have fired a poll whose re-render waits on a timer or a frame: step the paused
        // clock until the button is back and no request is in flight. A poll still running when
        // WeChat is paid below would find the order paid and remove the button before the tap.
        await untilQuiet(page, sel("i-paid"), inFlight);
        await control("POST", "pay", { out_trade_no: outTradeNo });
        // A paused clock also stops animation frames, so dispatch the tap rather than wait for "stable".
        await page.locator(sel("i-paid")).dispatchEvent("click", undefined, { timeout: 10_000 });
        await resultState(page, "paid", 10_000); // no clock moved: the tap did it
      },
      { fakeClock: true },
    );
  });

  it("WeChat timing out shows a retry, not an endless spinner; the retry then finds it paid", async () => {
    await control("POST", "scenarios", [
      { action: "drop_notify" },
      { action: "query_error", mode: "timeout", ms: 3000 }, // longer than the backend's 1 s budget
    ]);
    try {
      await journey("slow", async (page) => {
        await buyOne(page, "red-envelope");
        await page.locator(sel("cashier-pay")).click();
        await page.locator(sel("retry")).waitFor({ timeout: 30_000 });
        expect(await page.locator(sel("error")).innerText()).toMatch(/支付服务/);
        await shot(page, "zh-11-result-wechat-timeout");
        await control("DELETE", "scenarios");
        await page.locator(sel("retry")).click();
        await resultState(page, "paid");
      });
    } finally {
      await control("DELETE", "scenarios");
    }
  });

  it("an English system shows English only", async () => {
    await journey(
      "en",
      async (page) => {
        await page.goto(`${backend.url}/app/`);
        await page.locator(sel("plus-red-envelope")).click({ timeout: 20_000 });
        const seen: string[] = [];
        const check = async (name: string) => {
          const text = await uiText(page);
          seen.push(text);
          expect([name, text]).not.toEqual([
            name,
            expect.stringMatching(/[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/),
          ]);
          await shot(page, `en-${name}`);
        };
        await check("1-shop");
        await page.locator(sel("checkout")).click();
        await page.locator(sel("total")).waitFor({ timeout: 20_000 });
        await check("2-confirm");
        await page.locator(sel("pay")).click();
        await page.locator(sel("cashier-pay")).click({ timeout: 20_000 });
        await resultState(page, "paid");
        await page.locator(sel("done")).waitFor();
        await check("3-result");
        await toMyOrders(page);
        await check("4-orders");
        await page.locator(sel("order-row")).first().click();
        await page.locator(sel("detail-state")).waitFor();
        await check("5-order-detail");
        expect(seen.join(" ")).toContain("Payment successful");
      },
      { locale: "en-US" },
    );
  });
});

/** Pause the page's fake clock about a second ahead; again if the clock passed the target first. */
async function pauseSoon(page: Page): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const now = await page.evaluate(() => Date.now());
    try {
      await page.clock.pauseAt(now + 1000);
      return;
    } catch (err) {
      if (attempt >= 4 || !/past/.test(String(err))) throw err;
    }
  }
}

/** How many of the page's requests have started and not yet finished or failed. */
function countRequests(page: Page): () => number {
  let open = 0;
  page.on("request", () => open++);
  page.on("requestfinished", () => open--);
  page.on("requestfailed", () => open--);
  return () => open;
}

/**
 * Step a paused page clock until `selector` is visible and no request is open, twice in a row
 * 100 ms (real time) apart: the paused clock fires no new poll, so the page then stays as it is.
 */
async function untilQuiet(page: Page, selector: string, inFlight: () => number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await untilVisible(page, selector);
    if (inFlight() === 0) {
      await new Promise((r) => setTimeout(r, 100));
      if (inFlight() === 0 && (await page.locator(selector).isVisible())) return;
    } else {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${selector} visible with no request open never happened`);
}

/** Step a paused page clock 200 ms at a time until `selector` is visible (at most ~10 s of steps). */
async function untilVisible(page: Page, selector: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (await page.locator(selector).isVisible()) return;
    await page.clock.runFor(200);
  }
  throw new Error(`${selector} did not come back`);
}
