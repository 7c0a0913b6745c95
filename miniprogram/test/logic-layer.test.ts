/**
 * The mp-weixin build, run as WeChat runs it: app.js, common/vendor.js and the pages load into a
 * logic layer that has only WeChat's globals (see wechat-runtime.ts), with wx.login, wx.request
 * and wx.requestPayment wired to the real backend and the sandbox. A browser-only global anywhere
 * on the shopper's path (crypto, fetch, window, URL…) fails this test, as it would fail on a phone.
 */
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Running } from "../../backend/src/boot";
import type { RunningSandbox } from "../../sandbox/src";
import { startStack } from "../../backend/test/helpers/booted-stack";
import { until, WechatRuntime } from "./wechat-runtime";

const dir = path.resolve(__dirname, "..");
let sandbox: RunningSandbox;
let backend: Running;
let tmp: string;
let out: string;
let appid: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "minipay-logic-"));
  ({ sandbox, backend } = await startStack(tmp, "logic_layer"));
  appid = ((await (await fetch(`${backend.url}/api/v1/config`)).json()) as { appid: string }).appid;
  // The API base is fixed at build time, so build against this run's backend, into our own folder.
  out = path.join(tmp, "mp-weixin");
  const r = spawnSync(
    path.resolve(dir, "../node_modules/.bin/uni"),
    ["build", "-p", "mp-weixin", "--outDir", out],
    {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, VITE_API_BASE: backend.url, VITE_API_BASE_DEVELOP: backend.url },
    },
  );
  if (r.status !== 0) throw new Error(`mp-weixin build failed:\n${r.stdout}\n${r.stderr}`);
}, 180_000);

afterAll(async () => {
  await backend?.close();
  await sandbox?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function json(url: string, body?: unknown): Promise<any> {
  const res = await fetch(url, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** wx.login / wx.request / wx.requestPayment backed by the sandbox and the backend. */
function wechat(log: { logins: unknown[]; payments: unknown[]; requests: string[] }) {
  let openid: string | undefined;
  const fail = (o: any, api: string, msg: string) => {
    o.fail?.({ errMsg: `${api}:fail ${msg}` });
    o.complete?.({ errMsg: `${api}:fail ${msg}` });
  };
  return {
    login(o: any) {
      json(`${sandbox.url}/__sandbox/login-codes`, { appid, ...(openid ? { openid } : {}) }).then(
        (r) => {
          openid = r.body.openid;
          log.logins.push(r.body.code);
          o.success?.({ code: r.body.code, errMsg: "login:ok" });
          o.complete?.({ errMsg: "login:ok" });
        },
        (e) => fail(o, "login", String(e)),
      );
    },
    request(o: any) {
      const method = (o.method ?? "GET").toUpperCase();
      let url: string = o.url;
      if (method === "GET" && o.data && typeof o.data === "object") {
        const q = new URLSearchParams(o.data as Record<string, string>).toString();
        if (q) url += (url.includes("?") ? "&" : "?") + q;
      }
      const appidSent =
        o.data && typeof o.data === "object" && "appid" in o.data ? ` appid=${o.data.appid}` : "";
      log.requests.push(`${method} ${url.replace(backend.url, "")}${appidSent}`);
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), o.timeout ?? 60_000);
      fetch(url, {
        method,
        headers: { ...(o.header ?? {}) },
        body: method === "GET" || o.data === undefined ? undefined : JSON.stringify(o.data),
        signal: ac.signal,
      })
        .then(async (res) => {
          const text = await res.text();
          let data: unknown = text;
          try {
            data = JSON.parse(text);
          } catch {
            /* not JSON: WeChat hands over the string */
          }
          const header: Record<string, string> = {};
          res.headers.forEach((v, k) => (header[k] = v));
          o.success?.({ statusCode: res.status, data, header });
          o.complete?.({ errMsg: "request:ok" });
        })
        .catch((e) => fail(o, "request", ac.signal.aborted ? "timeout" : String(e)))
        .finally(() => clearTimeout(timer));
      return { abort: () => ac.abort() };
    },
    requestPayment(o: any) {
      log.payments.push({ ...o, success: undefined, fail: undefined, complete: undefined });
      const missing = ["timeStamp", "nonceStr", "package", "signType", "paySign"].filter((k) => !o[k]);
      if (missing.length) return fail(o, "requestPayment", `missing ${missing.join(",")}`);
      const prepay_id = String(o.package).replace(/^prepay_id=/, "");
      json(`${sandbox.url}/__sandbox/pay`, { prepay_id, openid }).then(
        (r) => {
          if (r.status !== 200) return fail(o, "requestPayment", JSON.stringify(r.body));
          o.success?.({ errMsg: "requestPayment:ok" });
          o.complete?.({ errMsg: "requestPayment:ok" });
        },
        (e) => fail(o, "requestPayment", String(e)),
      );
    },
  };
}

type Wx = ReturnType<typeof wechat>;

/** Runs `fn` in a fresh logic layer on this run's build, its wx backed by the sandbox, then disposes it. */
async function inRuntime(
  opts: { envVersion?: "develop" | "release"; language?: string; wx?: (real: Wx) => Wx },
  fn: (
    rt: WechatRuntime,
    log: { logins: unknown[]; payments: unknown[]; requests: string[] },
  ) => Promise<void>,
): Promise<void> {
  const log = { logins: [] as unknown[], payments: [] as unknown[], requests: [] as string[] };
  const real = wechat(log);
  const rt = new WechatRuntime(out, {
    wx: opts.wx ? opts.wx(real) : real,
    language: opts.language,
    account: { appId: appid, envVersion: opts.envVersion ?? "develop" },
    randomBytes: crypto.randomBytes,
  });
  try {
    await fn(rt, log);
  } finally {
    rt.dispose();
  }
}

describe("mp-weixin build in a WeChat-like logic layer", () => {
  it("offers no browser globals (so the test can catch them)", () => {
    const rt = new WechatRuntime(out, { wx: {}, randomBytes: crypto.randomBytes });
    expect(rt.evaluate("typeof wx.getRandomValues")).toBe("function");
    expect(() => rt.evaluate("crypto.getRandomValues(new Uint8Array(16))")).toThrow(/crypto is not defined/);
    for (const g of [
      "crypto",
      "fetch",
      "window",
      "document",
      "URL",
      "TextEncoder",
      "localStorage",
      "navigator",
    ])
      expect(rt.evaluate(`typeof ${g}`)).toBe("undefined");
  });

  it("launch → login → confirm → pay → result: paid", async () => {
    await inRuntime({}, async (rt, log) => {
      rt.launch();
      await until(rt, "shop shows products", () => !!rt.find("plus-red-envelope"));
      expect(log.logins).toHaveLength(1);
      expect(log.requests).toContainEqual(expect.stringMatching(/^POST \/api\/v1\/session appid=wx/));
      rt.tap("plus-red-envelope");
      await until(rt, "cart has one", () => rt.text("qty-red-envelope") === "1");
      rt.tap("checkout");
      await until(
        rt,
        "confirm shows the quote",
        () => rt.route === "pages/confirm/confirm" && !!rt.text("total"),
      );
      expect(rt.text("total")).toBe("¥9.90");
      expect(rt.title).toBe("确认订单");
      // The quote reserved nothing: no order until the tap.
      expect((await myOrders(rt)).orders).toHaveLength(0);
      rt.tap("pay");
      await until(
        rt,
        "result says paid",
        () => rt.route === "pages/result/result" && rt.find("result-state")?.attrs["data-state"] === "paid",
      );
      expect(rt.text("result-state")).toBe("支付成功");
      expect(rt.text("amount")).toBe("¥9.90");
      expect(rt.text("paid-at")).toMatch(/^支付时间 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      expect(log.payments).toHaveLength(1);
      expect((await myOrders(rt)).orders.map((o: any) => o.state)).toEqual(["paid"]);
      rt.tap("done");
      await until(
        rt,
        "done goes back to the shop",
        () => rt.route === "pages/shop/shop" && !!rt.find("checkout"),
      );
      expect(rt.errors).toEqual([]);
    });
  }, 60_000);
});

describe("mp-weixin build: the shop page in the logic layer", () => {
  it("a failed request shows the banner; its retry (a component event) loads the shop", async () => {
    let failures = 3; // the first try and both of the client's own retries
    const wx = (real: Wx) => ({
      ...real,
      request(o: any) {
        if (failures > 0 && o.url.endsWith("/api/v1/products")) {
          failures--;
          setTimeout(() => o.fail?.({ errMsg: "request:fail timeout" }), 0);
          return { abort() {} };
        }
        return real.request(o);
      },
    });
    await inRuntime({ wx }, async (rt) => {
      rt.launch();
      // The client retries reads itself first; only then does the banner appear.
      await until(rt, "the error banner", () => !!rt.find("retry"), 30_000);
      expect(rt.text("error")).toContain("网络不给力");
      rt.tap("retry");
      await until(rt, "products after retry", () => !!rt.find("plus-red-envelope"));
    });
  }, 60_000);

  it('"+" stops at the per-line limit; English system, English texts', async () => {
    await inRuntime({ language: "en" }, async (rt) => {
      rt.launch();
      await until(rt, "shop shows products", () => !!rt.find("plus-red-envelope"));
      expect(rt.title).toBe("Shop");
      expect(rt.text("stock-red-envelope")).toMatch(/^\d+ in stock$/);
      for (let i = 0; i < 99; i++) {
        rt.tap("plus-red-envelope");
        await until(rt, `qty ${i + 1}`, () => rt.text("qty-red-envelope") === String(i + 1));
      }
      expect(rt.find("plus-red-envelope")!.attrs.disabled).toBe(true);
      expect(rt.text("checkout")).toBe("Checkout (99)");
      const uiText = rt
        .nodes()
        .filter((n) => n.tag !== "#text" && !("data-user-content" in n.attrs))
        .flatMap((n) => n.children.filter((c) => c.tag === "#text").map((c) => c.text))
        .join(" ");
      expect(uiText).not.toMatch(/[\u4e00-\u9fff]/);
    });
  }, 60_000);
});

describe("mp-weixin build: configuration at run time", () => {
  it("a release version refuses an http backend (WeChat only talks https there)", async () => {
    await inRuntime({ envVersion: "release" }, async (rt, log) => {
      rt.launch();
      const end = Date.now() + 10_000;
      while (!rt.find("error") && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(rt.text("error")).toContain("小程序配置有误");
      expect(rt.errors.map((e: any) => e?.message)).toContainEqual(
        expect.stringMatching(/release API base must be https/),
      );
      expect(log.requests).toEqual([]); // nothing went out over http
    });
  }, 30_000);
});

/** The shopper's orders, asked with the token the app keeps in its storage. */
async function myOrders(rt: WechatRuntime): Promise<any> {
  const token = rt.storage.get("minipay.token");
  const res = await fetch(`${backend.url}/api/v1/orders`, { headers: { authorization: `Bearer ${token}` } });
  return res.json();
}
