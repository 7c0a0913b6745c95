/**
 * The mp-weixin build, checked by reading its output (WeChat DevTools does not run here): every
 * page of pages.json is in app.json, and only the real WeChat adapter is compiled in.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const dir = path.resolve(__dirname, "..");
const out = path.join(dir, "dist/build/mp-weixin");

function allJs(d: string): string {
  let s = "";
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) s += allJs(p);
    else if (p.endsWith(".js")) s += fs.readFileSync(p, "utf8");
  }
  return s;
}

beforeAll(() => {
  const env = { ...process.env };
  delete env.VITE_URL_CHECK;
  const r = spawnSync(path.resolve(dir, "../node_modules/.bin/uni"), ["build", "-p", "mp-weixin"], {
    cwd: dir,
    encoding: "utf8",
    env,
  });
  if (r.status !== 0) throw new Error(`mp-weixin build failed:\n${r.stdout}\n${r.stderr}`);
}, 120_000);

describe("mp-weixin build", () => {
  it("lists every page of pages.json in app.json", () => {
    const pages = JSON.parse(fs.readFileSync(path.join(dir, "src/pages.json"), "utf8")).pages.map(
      (p: any) => p.path,
    );
    const app = JSON.parse(fs.readFileSync(path.join(out, "app.json"), "utf8"));
    expect(app.pages).toEqual(pages);
    for (const p of pages) expect(fs.existsSync(path.join(out, `${p}.js`))).toBe(true);
    expect(fs.existsSync(path.join(out, "project.config.json"))).toBe(true);
  });

  it("keeps WeChat's request-domain check on unless a local build turns it off", () => {
    const project = JSON.parse(fs.readFileSync(path.join(out, "project.config.json"), "utf8"));
    expect(project.setting.urlCheck).toBe(true);
  });

  it("compiles in the WeChat adapter and not the sandbox one", () => {
    const js = allJs(out);
    expect(js).toContain("minipay-platform:mp-weixin");
    expect(js).not.toContain("minipay-platform:h5-sandbox");
    expect(js).not.toContain("__sandbox/login-codes");
  });
});
