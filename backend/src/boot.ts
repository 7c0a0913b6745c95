/**
 * Composition root: config → database → repositories → merchants (seeded, then served by the
 * registry) → services → HTTP (+ sweeper).
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
import { createDb } from "./db/repositories";
import type { JobEngine } from "./jobs/engine";
import { startOrderJobs } from "./jobs/order-queues";
import { reconciliationQueues } from "./jobs/reconciliation-queues";
import { webhookQueues } from "./jobs/webhook-queues";
import { retentionQueue, seedRetention } from "./jobs/retention-queue";
import { createLogger, type Logger } from "./logger";
import { createMerchantRegistry, type AdapterFactory } from "./merchants/registry";
import { merchantIdFor } from "./merchants/secrets";
import { seedDemoCatalogues, seedMerchants } from "./merchants/seed";
import {
  fetchSandboxMerchants,
  merchantFromEnv,
  merchantsFromFile,
  type MerchantSeed,
} from "./merchants/sources";
import { loadOrCreateMasterKey, parseMasterKey, SecretBox } from "./security/secret-box";
import type { ServiceDeps } from "./services/deps";
import { createWechatAuth } from "./wechat/auth/code2session";
import { createGateway } from "./wechat/gateway-factory";

export interface Running {
  url: string;
  config: Config;
  logger: Logger;
  close(): Promise<void>;
}

/** The configured merchants, or null when the sandbox is unreachable (then the stored ones serve). */
async function configuredMerchants(
  config: Config,
  logger: Logger,
  haveStored: boolean,
): Promise<MerchantSeed[] | null> {
  if (config.MERCHANT_SOURCE === "env") return [merchantFromEnv(config)];
  if (config.MERCHANT_SOURCE === "file") return merchantsFromFile(config.MERCHANT_FILE!, config);
  try {
    return await fetchSandboxMerchants(config.SANDBOX_URL, config.SANDBOX_MERCHANTS);
  } catch (err) {
    if (!haveStored) throw err;
    logger.warn("sandbox unreachable; serving the merchants stored at the last start");
    return null;
  }
}

export function wechatAdapters(timeoutMs: number): AdapterFactory {
  return {
    gateway: (s) => createGateway(s.credentials, { timeoutMs }),
    auth: (s) =>
      createWechatAuth({
        baseUrl: s.loginBaseUrl,
        appid: s.credentials.appid,
        secret: s.appsecret,
        timeoutMs,
      }),
  };
}

function defaultH5Dir(): string | null {
  const guess = path.resolve(__dirname, "../../miniprogram/dist/build/h5");
  return fs.existsSync(path.join(guess, "index.html")) ? guess : null;
}

function defaultConsoleDir(): string | null {
  const guess = path.resolve(__dirname, "../../console/dist");
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
    let jobs: JobEngine | null = null;
    const dbPort = createDb(db.ds, () => jobs?.sink() ?? null);
    const deps: ServiceDeps = { db: dbPort, now: () => new Date(), randomBytes: crypto.randomBytes, logger };
    const stored = await dbPort.repos.merchants.list();
    const seeds = await configuredMerchants(config, logger, stored.length > 0);
    if (seeds) await seedMerchants(dbPort, box, seeds, logger);
    const registry = createMerchantRegistry({
      repo: dbPort.repos.merchants,
      box,
      adapters: wechatAdapters(config.WECHAT_TIMEOUT_MS),
      publicBaseUrl: () => config.publicBaseUrl,
    });
    const merchants = (await registry.all()).filter((m) => !m.disabled);
    const h5Dir = config.H5_DIST_DIR ? path.resolve(config.H5_DIST_DIR) : defaultH5Dir();
    const composed = compose({
      deps,
      box,
      registry,
      ready: () => dbPort.ping(),
      h5Dir,
      consoleDir: config.CONSOLE_DIST_DIR ? path.resolve(config.CONSOLE_DIST_DIR) : defaultConsoleDir(),
      limits: {
        sessionIdleMinutes: config.SESSION_IDLE_MINUTES,
        sessionMaxDays: config.SESSION_MAX_DAYS,
        orderTtlMinutes: config.ORDER_TTL_MINUTES,
        verifyPerMinute: config.VERIFY_RATE_PER_MINUTE,
        bodyLimitBytes: config.BODY_LIMIT_BYTES,
        paymentCheckSeconds: config.PAYMENT_CHECK_SCHEDULE,
        loginPerClientPerMinute: config.LOGIN_RATE_PER_CLIENT_PER_MINUTE,
        loginPerAppPerMinute: config.LOGIN_RATE_PER_APP_PER_MINUTE,
        ordersPerUserPerMinute: config.ORDER_RATE_PER_USER_PER_MINUTE,
        maxOpenOrdersPerUser: config.MAX_OPEN_ORDERS_PER_USER,
        maxQuantityPerProductPerUser: config.MAX_QUANTITY_PER_PRODUCT_PER_USER,
        adminPerKeyPerMinute: config.ADMIN_RATE_PER_KEY_PER_MINUTE,
      },
      retention: {
        loginCodeHours: config.RETENTION_LOGIN_CODES_HOURS,
        sessionDays: config.RETENTION_SESSIONS_DAYS,
        notifyLogDays: config.RETENTION_NOTIFY_LOG_DAYS,
      },
      trustProxy: config.TRUST_PROXY ?? false,
      metricsToken: config.METRICS_TOKEN ?? null,
      webhooks: {
        allowPrivate: config.ALLOW_PRIVATE_WEBHOOKS ?? false,
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
        retrySeconds: config.WEBHOOK_RETRY_SCHEDULE,
      },
    });
    const { app, sweeper, retention, catalog, keys, webhooks } = composed;
    if (config.JOBS_ENABLED) {
      jobs = await startOrderJobs({
        connectionString: (db.ds.options as { url: string }).url,
        deps: composed.deps,
        merchantById: (id) => composed.registry.byId(id),
        scheduleSeconds: config.PAYMENT_CHECK_SCHEDULE,
        deleteAfterDays: config.RETENTION_JOBS_DAYS,
        extraQueues: [
          ...reconciliationQueues({
            deps: composed.deps,
            service: composed.reconciliations,
            merchants: () => composed.registry.all(),
          }),
          ...webhookQueues(webhooks),
          ...(config.PRUNE_INTERVAL_MS > 0
            ? [retentionQueue(retention, logger, config.PRUNE_INTERVAL_MS)]
            : []),
        ],
      });
      const engine = jobs;
      composed.metrics.watchQueues(() => engine.depths());
    }
    // Retention runs as a job when there is a job engine, on a timer in this process otherwise.
    if (jobs && config.PRUNE_INTERVAL_MS > 0) await seedRetention(jobs);
    const seeded = seeds ? await seedDemoCatalogues(catalog, seeds) : 0;
    if (seeded) logger.info({ products: seeded }, "seeded demo products");
    // The very first local start gets an admin key (every scope) for the first sandbox merchant,
    // printed once to stdout (not through the logger, so it does not land in shipped logs).
    if (config.MERCHANT_SOURCE === "sandbox" && seeds?.[0]) {
      const first = await keys.bootstrap(merchantIdFor(seeds[0].credentials.mchid), {
        keyId: null,
        keyName: "first start",
        requestId: null,
      });
      if (first)
        process.stdout.write(
          `\nAdmin API key for ${merchantIdFor(seeds[0].credentials.mchid)} (all scopes; shown only this once):\n` +
            `${first.key}\n\n`,
        );
    }

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
    // Deliveries are jobs: without the job engine nothing would send what the fan-out queues.
    if (jobs && config.WEBHOOK_FANOUT_INTERVAL_MS > 0) webhooks.start(config.WEBHOOK_FANOUT_INTERVAL_MS);
    if (!jobs && config.PRUNE_INTERVAL_MS > 0) retention.start(config.PRUNE_INTERVAL_MS);
    logger.info(
      {
        url,
        source: config.MERCHANT_SOURCE,
        merchants: merchants.map((m) => ({ id: m.id, name: m.name, apiVersion: m.apiVersion })),
        h5: !!h5Dir,
      },
      "backend listening",
    );

    let closing: Promise<void> | null = null;
    const close = () =>
      (closing ??= (async () => {
        // Every step is bounded: a database that went away under us must not hang the exit.
        const deadline = Date.now() + config.SHUTDOWN_TIMEOUT_MS - 500;
        const within = async (step: Promise<unknown>, what: string) => {
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<"late">(
            (r) => (timer = setTimeout(() => r("late"), Math.max(0, deadline - Date.now()))),
          );
          const outcome = await Promise.race([
            step.then(
              () => "done" as const,
              () => "failed" as const,
            ),
            late,
          ]);
          clearTimeout(timer);
          if (outcome !== "done")
            logger.warn({ step: what, outcome }, "shutdown step did not finish cleanly");
        };
        await within(sweeper.stop(), "sweeper");
        await within(webhooks.stop(), "webhook fan-out");
        // Running jobs finish (or are abandoned to a retry) before the database goes.
        if (jobs) await within(jobs.stop(Math.max(0, deadline - Date.now() - 2500)), "jobs");
        await within(retention.stop(), "retention");
        // Drain: stop accepting, let in-flight requests finish, then cut idle keep-alives.
        const drained = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const cut = setTimeout(() => server.closeAllConnections(), Math.max(0, deadline - Date.now() - 1500));
        await within(drained, "http drain");
        clearTimeout(cut);
        server.closeAllConnections();
        await within(db.close(), "database");
        logger.info("backend stopped");
      })());
    return { url, config, logger, close };
  } catch (err) {
    await db.close();
    throw err;
  }
}
