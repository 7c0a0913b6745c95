/**
 * Starts the sandbox: one Koa app served on a plain HTTP port and on an HTTPS port that asks for
 * the merchant's client certificate (v2 /secapi/*). Keys live in the data dir.
 */
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import Koa from "koa";
import pino, { type Logger } from "pino";
import { BillFiles } from "./bills/files";
import { loadKeyMaterial, type KeyMaterial } from "./crypto/keys";
import { controlCors, controlRoutes } from "./control/routes";
import { Notifier } from "./notify/deliver";
import { Scenarios } from "./notify/scenarios";
import { Merchants } from "./state/merchants";
import { Store } from "./state/store";
import type { SandboxContext } from "./wire/context";
import { Holds, Released } from "./wire/holds";
import { loginRoutes } from "./wire/login";
import { payV2Routes } from "./wire/pay-v2";
import { payV3Routes } from "./wire/pay-v3";

export interface SandboxOptions {
  port?: number;
  tlsPort?: number;
  host?: string;
  /** Where keys are kept; a temp dir when unset. */
  dataDir?: string;
  /** Same seed, same keys (merchant ids, secrets, certificates). */
  seed?: string | null;
  /** 1 = WeChat's real retry schedule; 0.001 runs the whole 24 h schedule in ~87 s. */
  timeScale?: number;
  closeMinAgeSeconds?: number;
  /** Public base URL to advertise (e.g. http://sandbox:3100 in compose); defaults to the bound address. */
  publicUrl?: string;
  logger?: Logger;
  now?: () => number;
}

export interface RunningSandbox {
  url: string;
  tlsUrl: string;
  keys: KeyMaterial;
  context: SandboxContext;
  close(): Promise<void>;
}

function buildApp(
  c: SandboxContext,
  tls: boolean,
  urls: () => { baseUrl: string; tlsBaseUrl: string },
  log: Logger,
): Koa {
  const app = new Koa();
  app.silent = true;
  app.use(async (ctx, next) => {
    const t = Date.now();
    try {
      await next();
    } catch (err) {
      if (err instanceof Released) {
        // The sandbox is closing: drop the held request without an answer, as a timeout would.
        ctx.respond = false;
        ctx.req.socket.destroy();
        return;
      }
      log.error({ err: (err as Error).message, path: ctx.path }, "sandbox error");
      ctx.status = 500;
      ctx.body = { code: "SYSTEM_ERROR", message: "sandbox internal error" };
    }
    log.debug({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Date.now() - t }, "request");
  });
  app.use(async (ctx, next) => {
    if (ctx.path === "/healthz") {
      ctx.body = { ok: true };
      return;
    }
    await next();
  });
  app.use(controlCors());
  for (const r of [loginRoutes(c), payV2Routes(c, { tls }), payV3Routes(c, urls), controlRoutes(c, urls)]) {
    app.use(r.routes());
    app.use(r.allowedMethods());
  }
  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = { code: "NOT_FOUND", message: `no such endpoint ${ctx.method} ${ctx.path}` };
  });
  return app;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<RunningSandbox> {
  const host = opts.host ?? "127.0.0.1";
  const tmp = opts.dataDir ? null : fs.mkdtempSync(path.join(os.tmpdir(), "minipay-sandbox-"));
  const dataDir = opts.dataDir ?? tmp!;
  const log = opts.logger ?? pino({ level: "silent" });
  const keys = loadKeyMaterial(dataDir, opts.seed ?? null);
  const now = opts.now ?? Date.now;
  const timeScale = opts.timeScale ?? 1;
  const scenarios = new Scenarios();
  const c: SandboxContext = {
    store: new Store(now),
    merchants: new Merchants(keys),
    scenarios,
    notifier: new Notifier(keys, scenarios, now, timeScale),
    now,
    timeScale,
    closeMinAgeSeconds: opts.closeMinAgeSeconds ?? 0,
    timeoutMs: 15_000,
    holds: new Holds(),
    billFiles: new BillFiles(now),
  };
  let urls = { baseUrl: "", tlsBaseUrl: "" };
  const getUrls = () => urls;
  const plain = http.createServer(buildApp(c, false, getUrls, log).callback());
  const secure = https.createServer(
    {
      key: keys.wechatKeyPem,
      cert: keys.tlsCertPem,
      ca: keys.caCertPem,
      requestCert: true,
      rejectUnauthorized: false,
    },
    buildApp(c, true, getUrls, log).callback(),
  );
  const listen = (s: http.Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      s.once("error", reject);
      s.listen(port, host, () => resolve((s.address() as AddressInfo).port));
    });
  const port = await listen(plain, opts.port ?? 3100);
  const tlsPort = await listen(secure, opts.tlsPort ?? 3101);
  const shownHost = host === "0.0.0.0" ? "127.0.0.1" : host;
  urls = {
    baseUrl: opts.publicUrl?.replace(/\/$/, "") ?? `http://${shownHost}:${port}`,
    tlsBaseUrl: `https://${opts.publicUrl ? new URL(opts.publicUrl).hostname : shownHost}:${tlsPort}`,
  };
  const close = async () => {
    c.notifier.close();
    c.holds.releaseAll();
    for (const s of [plain, secure]) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  };
  return { url: `http://${shownHost}:${port}`, tlsUrl: urls.tlsBaseUrl, keys, context: c, close };
}
