/**
 * All configuration, validated once at start. A bad value stops the process with a message that
 * names the variable. Defaults are for local use (`npm start` against the sandbox).
 */
import path from "node:path";
import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0"])
  .transform((v) => v === "true" || v === "1")
  .optional();
const port = z.coerce.number().int().min(0).max(65535);
const url = z.url({ protocol: /^https?$/ });

const Env = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: port.default(3000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  LOG_PRETTY: bool,
  DATA_DIR: z.string().min(1).default("data"),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  PG_PORT: port.default(54329),
  /** 32 bytes, base64 or hex: encrypts secrets at rest. Generated into DATA_DIR when unset outside production. */
  MASTER_KEY: z.string().min(32).optional(),
  PUBLIC_BASE_URL: url.optional(),
  H5_DIST_DIR: z.string().optional(),
  CONSOLE_DIST_DIR: z.string().optional(),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(10 * 1024 * 1024)
    .default(64 * 1024),
  ORDER_TTL_MINUTES: z.coerce
    .number()
    .int()
    .min(5)
    .max(7 * 24 * 60)
    .default(30),
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(5)
    .default(7 * 24 * 60),
  SESSION_MAX_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  VERIFY_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  /** Abuse limits, shared by every process through the database (README "Limits"). */
  LOGIN_RATE_PER_CLIENT_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  LOGIN_RATE_PER_APP_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  ADMIN_RATE_PER_KEY_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  ORDER_RATE_PER_USER_PER_MINUTE: z.coerce.number().int().min(1).default(10),
  MAX_OPEN_ORDERS_PER_USER: z.coerce.number().int().min(1).max(1000).default(3),
  MAX_QUANTITY_PER_PRODUCT_PER_USER: z.coerce.number().int().min(1).max(100_000).default(20),
  /** Honour X-Forwarded-For for the client address (only behind a proxy that sets it). */
  TRUST_PROXY: bool,
  /** The retention job: how often it runs (0 disables) and how long rows are kept. */
  PRUNE_INTERVAL_MS: z.coerce.number().int().min(0).default(600_000),
  RETENTION_LOGIN_CODES_HOURS: z.coerce.number().int().min(1).default(24),
  RETENTION_SESSIONS_DAYS: z.coerce.number().int().min(0).default(7),
  RETENTION_NOTIFY_LOG_DAYS: z.coerce.number().int().min(1).default(90),
  /** Finished background jobs (pg-boss's archive) are deleted after this many days. */
  RETENTION_JOBS_DAYS: z.coerce.number().int().min(1).default(7),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(9000),
  /** The safety-net sweep; per-order jobs do the regular work. 0 turns it off. */
  SWEEPER_INTERVAL_MS: z.coerce.number().int().min(0).default(300000),
  /** Background jobs (payment checks, expiry) on pg-boss in the same database. */
  JOBS_ENABLED: z
    .enum(["true", "false", "1", "0"])
    .default("true")
    .transform((v) => v === "true" || v === "1"),
  /** Seconds from prepay to each payment check; the last repeats until the order expires. */
  PAYMENT_CHECK_SCHEDULE: z
    .string()
    .default("30,60,120,300,600")
    .transform((v) => v.split(",").map((x) => Number(x.trim())))
    .pipe(z.array(z.number().int().min(1).max(3600)).min(1)),
  /** Bearer token GET /metrics asks for; unset leaves /metrics open. */
  METRICS_TOKEN: z.string().min(16).optional(),
  WECHAT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(5000),
  /** Webhooks may go to loopback/private addresses and plain http:// (local development and tests only). */
  ALLOW_PRIVATE_WEBHOOKS: bool,
  /** One webhook attempt's limit; only a 2xx within it counts as delivered. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(1000).max(30000).default(10000),
  /** Seconds after attempt 1, 2, … before the next; after the last, the delivery has failed. */
  WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .default("5,300,1800,7200,18000,36000,36000")
    .transform((v) => v.split(",").map((x) => Number(x.trim())))
    .pipe(z.array(z.number().int().min(1).max(86400)).min(1).max(20)),
  /** How often new outbox rows are fanned out to webhook deliveries (0 turns it off). */
  WEBHOOK_FANOUT_INTERVAL_MS: z.coerce.number().int().min(0).max(60000).default(1000),
  /** Where merchant credentials come from: the local sandbox, environment variables, or a JSON file. */
  MERCHANT_SOURCE: z.enum(["sandbox", "env", "file"]).default("sandbox"),
  SANDBOX_URL: url.default("http://127.0.0.1:3100"),
  /** The sandbox's merchants this backend serves, comma-separated (each its own mini-program and account). */
  SANDBOX_MERCHANTS: z
    .string()
    .default("v3-public-key")
    .transform((v) => [
      ...new Set(
        v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    ])
    .pipe(z.array(z.enum(["v2-md5", "v2-hmac", "v3-platform-cert", "v3-public-key"])).min(1)),
  MERCHANT_FILE: z.string().optional(),
  WECHAT_MERCHANT_NAME: z.string().min(1).max(64).optional(),
  WECHAT_APPID: z.string().optional(),
  WECHAT_APPSECRET: z.string().optional(),
  WECHAT_MCHID: z.string().optional(),
  WECHAT_API_VERSION: z.enum(["v2", "v3"]).optional(),
  WECHAT_SIGN_TYPE: z.enum(["MD5", "HMAC-SHA256"]).optional(),
  WECHAT_API_V2_KEY: z.string().optional(),
  WECHAT_API_V3_KEY: z.string().optional(),
  WECHAT_PRIVATE_KEY_FILE: z.string().optional(),
  WECHAT_CERT_SERIAL: z.string().optional(),
  WECHAT_KEY_MODE: z.enum(["platform_certificate", "public_key"]).optional(),
  WECHAT_PLATFORM_CERT_FILE: z.string().optional(),
  WECHAT_PUBLIC_KEY_FILE: z.string().optional(),
  WECHAT_PUBLIC_KEY_ID: z.string().optional(),
  WECHAT_CLIENT_CERT_FILE: z.string().optional(),
  WECHAT_CLIENT_KEY_FILE: z.string().optional(),
  WECHAT_PAY_BASE_URL: url.default("https://api.mch.weixin.qq.com"),
  WECHAT_API_BASE_URL: url.default("https://api.weixin.qq.com"),
});

export type Config = z.infer<typeof Env> & { dataDir: string; publicBaseUrl: string };

/** The variables the schema knows (the compose test checks docker-compose.yml against it). */
export const CONFIG_KEYS = Object.keys(Env.shape) as (keyof z.infer<typeof Env>)[];

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; problem: string }[]) {
    super("Invalid configuration:\n" + issues.map((i) => `  ${i.variable}: ${i.problem}`).join("\n"));
    this.name = "ConfigError";
  }
}

export function loadConfig(env: Record<string, string | undefined>, cwd = process.cwd()): Config {
  // Empty strings count as unset, so `FOO=` in a compose file does not defeat a default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = Env.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? "?"), problem: i.message })),
    );
  }
  const c = parsed.data;
  const problems: { variable: string; problem: string }[] = [];
  if (c.MERCHANT_SOURCE === "env") {
    for (const k of ["WECHAT_APPID", "WECHAT_APPSECRET", "WECHAT_MCHID", "WECHAT_API_VERSION"] as const)
      if (!c[k]) problems.push({ variable: k, problem: "required when MERCHANT_SOURCE=env" });
    if (c.WECHAT_API_VERSION === "v2" && !c.WECHAT_API_V2_KEY)
      problems.push({ variable: "WECHAT_API_V2_KEY", problem: "required for WECHAT_API_VERSION=v2" });
    if (c.WECHAT_API_VERSION === "v3")
      for (const k of ["WECHAT_API_V3_KEY", "WECHAT_PRIVATE_KEY_FILE", "WECHAT_CERT_SERIAL"] as const)
        if (!c[k]) problems.push({ variable: k, problem: "required for WECHAT_API_VERSION=v3" });
  }
  if (c.MERCHANT_SOURCE === "file" && !c.MERCHANT_FILE)
    problems.push({ variable: "MERCHANT_FILE", problem: "required when MERCHANT_SOURCE=file" });
  if (c.NODE_ENV === "production" && !c.MASTER_KEY)
    problems.push({ variable: "MASTER_KEY", problem: "required in production (32 random bytes, base64)" });
  // Merchants choose webhook URLs: in production they must not reach this network's own hosts.
  if (c.NODE_ENV === "production" && c.ALLOW_PRIVATE_WEBHOOKS)
    problems.push({
      variable: "ALLOW_PRIVATE_WEBHOOKS",
      problem: "not allowed in production (webhooks could reach private and loopback addresses)",
    });
  if (problems.length) throw new ConfigError(problems);
  const dataDir = path.resolve(cwd, c.DATA_DIR);
  return {
    ...c,
    dataDir,
    publicBaseUrl: (c.PUBLIC_BASE_URL ?? `http://127.0.0.1:${c.PORT}`).replace(/\/$/, ""),
  };
}
