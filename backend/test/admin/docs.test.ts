/**
 * GET /docs: the API reference page. Over HTTP: an HTML page whose every asset is served by this
 * backend (200, right type), pointing Swagger UI at /openapi.json, with a strict CSP and no inline
 * script. In a real headless Chromium: the page renders every admin operation with no CSP
 * violation and no request leaving this origin.
 */
import type { Browser } from "playwright-core";
import { ADMIN_ROUTES } from "../../src/http/routes/admin";
import { launchChromium } from "../helpers/browser";
import { startAdmin, type AdminKit } from "./admin-kit";

let kit: AdminKit;
let base: string;
beforeAll(async () => {
  kit = await startAdmin();
  base = kit.h.url;
});
afterAll(() => kit.close());

const get = (p: string) => fetch(base + p);

describe("GET /docs over HTTP", () => {
  let html: string;
  let res: Response;
  beforeAll(async () => {
    res = await get("/docs");
    html = await res.text();
  });

  it("is an HTML page with a strict Content-Security-Policy", () => {
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = Object.fromEntries(
      res.headers
        .get("content-security-policy")!
        .split(";")
        .map((d) => d.trim().split(/\s+/))
        .map(([k, ...v]) => [k, v]),
    );
    expect(csp["default-src"]).toEqual(["'none'"]);
    expect(csp["script-src"]).toEqual(["'self'"]); // no inline script, no eval, no CDN
    expect(csp["style-src"]).toEqual(["'self'"]);
    expect(csp["img-src"]).toEqual(["'self'", "data:"]);
    expect(csp["connect-src"]).toEqual(["'self'"]);
    expect(csp["frame-ancestors"]).toEqual(["'none'"]);
    for (const v of Object.values(csp).flat()) expect(v).not.toMatch(/^https?:|\*/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("references only assets of this backend, each served 200 with its type, and points at /openapi.json", async () => {
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    // Every script is a file (the CSP would refuse inline ones anyway).
    expect(html.match(/<script/g)!.length).toBe([...html.matchAll(/<script src="/g)].length);
    const assets = refs.filter((r) => r !== "/openapi.json");
    expect(assets.length).toBeGreaterThanOrEqual(4);
    const types: Record<string, string> = {};
    let scripts = "";
    for (const a of assets) {
      expect(a).toMatch(/^\/docs\//); // same origin, nothing from a CDN
      const r = await get(a);
      expect([a, r.status]).toEqual([a, 200]);
      types[a.split(".").pop()!] = r.headers.get("content-type")!;
      const body = await r.text();
      expect(body.length).toBeGreaterThan(20);
      if (a.endsWith(".js")) scripts += body;
    }
    expect(types).toMatchObject({ css: "text/css; charset=utf-8", js: "text/javascript; charset=utf-8" });
    expect(scripts).toContain('url: "/openapi.json"');
    expect(scripts).toContain("validatorUrl: null"); // no call to Swagger's online validator
    expect((await get("/openapi.json")).status).toBe(200);
  });

  it("serves nothing else of the package or the disk", async () => {
    for (const p of [
      "/docs/assets/package.json",
      "/docs/assets/index.html",
      "/docs/assets/swagger-ui-bundle.js.map",
      "/docs/assets/..%2f..%2fpackage.json",
      "/docs/assets/%2e%2e/README.md",
    ])
      expect([p, (await get(p)).status]).toEqual([p, 404]);
  });
});

describe("GET /docs in a browser", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 120_000);
  afterAll(() => browser?.close());

  it("renders every admin operation, with no CSP violation and no request off this origin", async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("request", (r) => requests.push(r.url()));
    // Every CSP refusal, as the page itself sees it.
    await page.addInitScript(() => {
      const w = globalThis as any;
      w.cspViolations = [];
      w.document.addEventListener("securitypolicyviolation", (e: any) =>
        w.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`),
      );
    });
    await page.goto(`${base}/docs`);
    await page.waitForFunction(
      // Runs in the page, where `document` exists; the backend's types have no DOM.
      (n) => (globalThis as any).document.querySelectorAll(".opblock").length >= n,
      ADMIN_ROUTES.length,
      { timeout: 60_000 },
    );
    const shown = await page.$$eval(".opblock-summary-path", (els) =>
      els.map((e) => e.getAttribute("data-path")),
    );
    for (const r of ADMIN_ROUTES) expect(shown).toContain(`/admin/v1${r.path.replace(/:(\w+)/g, "{$1}")}`);
    await page.waitForTimeout(500); // let late style and image loads report
    expect(await page.evaluate(() => (globalThis as any).cspViolations)).toEqual([]);
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith(base) && !u.startsWith("data:"))).toEqual([]);
    expect(requests).toContain(`${base}/openapi.json`);
    await page.close();
  }, 120_000);
});
