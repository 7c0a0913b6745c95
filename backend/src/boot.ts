/**
 * Composition root: config → database → merchant → WeChat adapters → services → HTTP (+ sweeper).
 * main.ts calls boot(process.env); end-to-end tests call it with their own env.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { compose } from "./compose";
import { loadConfig, type Config } from "./config";
import { openDatabase } from "./db/open";
import { createLogger, type Logger } from "./logger";
import { loadOrCreateMasterKey, parseMasterKey, SecretBox } from "./security/secret-box";
import type { ServiceDeps } from "./services/deps";
import {
  fetchSandboxMerchant,
  merchantFromEnv,
  merchantFromFile,
  MerchantStore,
  type MerchantRecord,
} from "./services/merchants";
import { createWechatAuth } from "./wechat/auth/code2session";
import { createGateway } from "./wechat/gateway-factory";

export interface Running {
  url: string;
  config: Config;
  logger: Logger;
  close(): Promise<void>;
}

async function resolveMerchant(
  config: Config,
  store: MerchantStore,
  logger: Logger,
): Promise<MerchantRecord> {
  let m: MerchantRecord;
  if (config.MERCHANT_SOURCE === "env") m = merchantFromEnv(config);
  else if (config.MERCHANT_SOURCE === "file") m = merchantFromFile(config.MERCHANT_FILE!, config);
  else {
    try {
      m = await fetchSandboxMerchant(config.SANDBOX_URL, config.SANDBOX_MERCHANT);
    } catch (err) {
      const stored = await store.load("default");
      if (!stored) throw err;
      logger.warn("sandbox unreachable; using the merchant stored at the last start");
      return stored;
    }
  }
  await store.save(m);
  return m;
}

function defaultH5Dir(): string | null {
  const guess = path.resolve(__dirname, "../../miniprogram/dist/build/h5");
  return fs.existsSync(path.join(guess, "index.html")) ? guess : null;
}

export async function boot(env: Record<string, string | undefined>): Promise<Running> {
  const config = loadConfig(env);
  const logger = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  const db = await openDatabase(config, (l) => logger.info(l));
  try {
    const masterKey = config.MASTER_KEY
      ? parseMasterKey(config.MASTER_KEY)
      : loadOrCreateMasterKey(config.dataDir);
    const box = new SecretBox(masterKey);
    const deps: ServiceDeps = { ds: db.ds, now: () => new Date(), randomBytes: crypto.randomBytes, logger };
    const store = new MerchantStore(deps, box);
    const merchant = await resolveMerchant(config, store, logger);
    const creds = merchant.credentials;
    const gateway = createGateway(creds, { timeoutMs: config.WECHAT_TIMEOUT_MS });
    const wechatAuth = createWechatAuth({
      baseUrl: merchant.loginBaseUrl,
      appid: creds.appid,
      secret: merchant.appsecret,
      timeoutMs: config.WECHAT_TIMEOUT_MS,
    });
    const h5Dir = config.H5_DIST_DIR ? path.resolve(config.H5_DIST_DIR) : defaultH5Dir();
    const { app, sweeper, seeded } = await compose({
      deps,
      box,
      merchant,
      gateway,
      wechatAuth,
      publicBaseUrl: () => config.publicBaseUrl,
      ready: async () => (await db.ds.query("SELECT 1 AS ok"))[0]?.ok === 1,
      h5Dir,
      limits: {
        sessionIdleMinutes: config.SESSION_IDLE_MINUTES,
        sessionMaxDays: config.SESSION_MAX_DAYS,
        orderTtlMinutes: config.ORDER_TTL_MINUTES,
        verifyPerMinute: config.VERIFY_RATE_PER_MINUTE,
        bodyLimitBytes: config.BODY_LIMIT_BYTES,
      },
    });
    if (seeded) logger.info({ products: seeded }, "seeded demo products");

    const server = http.createServer(app.callback());
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.PORT, config.HOST, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://${config.HOST === "0.0.0.0" ? "127.0.0.1" : config.HOST}:${port}`;
    if (config.SWEEPER_INTERVAL_MS > 0) sweeper.start(config.SWEEPER_INTERVAL_MS);
    logger.info(
      { url, merchant: { apiVersion: creds.apiVersion, source: config.MERCHANT_SOURCE }, h5: !!h5Dir },
      "backend listening",
    );

    let closing: Promise<void> | null = null;
    const close = () =>
      (closing ??= (async () => {
        await sweeper.stop();
        // Drain: stop accepting, let in-flight requests finish, then cut idle keep-alives.
        const drained = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), config.SHUTDOWN_TIMEOUT_MS - 2000);
        await drained;
        clearTimeout(timer);
        await db.close();
        logger.info("backend stopped");
      })());
    return { url, config, logger, close };
  } catch (err) {
    await db.close();
    throw err;
  }
}
