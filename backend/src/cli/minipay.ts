#!/usr/bin/env node
/**
 * `minipay`: the operator's command line. It opens the database the way the backend does
 * (DATABASE_URL, else the embedded PostgreSQL in DATA_DIR: the running backend's server when there
 * is one) and acts as the operator, without a key; its changes are audited as actor "cli".
 *
 *   minipay merchant list
 *   minipay key create --scopes all|a,b,c [--merchant ID] [--name N]   (the key is the last line)
 *   minipay key list [--merchant ID]
 *   minipay key revoke ID
 *   minipay doctor [--merchant ID]     (checks WeChat credentials; exit code 1 when a check fails)
 */
import crypto from "node:crypto";
import { parseArgs } from "node:util";
import { ADMIN_SCOPES, AdminScope } from "@minipay/shared";
import { ConfigError, loadConfig } from "../config";
import { openDatabase } from "../db/open";
import { createDb, type Db } from "../db/repositories";
import { AppError } from "../domain/errors";
import { createLogger } from "../logger";
import { loadOrCreateMasterKey, parseMasterKey, SecretBox } from "../security/secret-box";
import { CLI_ACTOR } from "../services/admin/actor";
import { ApiKeyService, keyView } from "../services/admin/keys";
import { doctorMerchants } from "./doctor";
import { formatDoctorReport } from "./doctor-format";

const USAGE = `usage:
  minipay merchant list
  minipay key create --scopes all|${ADMIN_SCOPES.slice(0, 2).join(",")},… [--merchant ID] [--name NAME]
  minipay key list [--merchant ID]
  minipay key revoke KEY_ID
  minipay doctor [--merchant ID]   (every enabled merchant without --merchant)
scopes: ${ADMIN_SCOPES.join(", ")}`;

class UsageError extends Error {}

function parseScopes(v: string | undefined): AdminScope[] {
  if (!v) throw new UsageError("--scopes is required (all, or a comma-separated list)");
  if (v === "all") return [...ADMIN_SCOPES];
  const scopes = v.split(",").map((s) => s.trim());
  for (const s of scopes) if (!AdminScope.safeParse(s).success) throw new UsageError(`unknown scope: ${s}`);
  return [...new Set(scopes)] as AdminScope[];
}

/** The merchant named by --merchant, or the only enabled one. */
async function pickMerchant(db: Db, id: string | undefined): Promise<string> {
  const all = await db.repos.merchants.list();
  if (id) {
    if (!all.some((m) => m.id === id))
      throw new UsageError(`no merchant ${id} (have: ${all.map((m) => m.id).join(", ") || "none"})`);
    return id;
  }
  const enabled = all.filter((m) => !m.disabledAt);
  if (enabled.length === 1) return enabled[0]!.id;
  throw new UsageError(
    enabled.length === 0
      ? "no merchants yet: start the backend once to configure them"
      : `several merchants: pass --merchant (one of: ${enabled.map((m) => m.id).join(", ")})`,
  );
}

/** Resolves to the process exit code. */
async function run(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      scopes: { type: "string" },
      merchant: { type: "string" },
      name: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [noun, verb, arg] = positionals;
  if (values.help || !noun) {
    out(USAGE);
    return 0;
  }
  const command = `${noun} ${verb ?? ""}`.trim();
  if (!["merchant list", "key create", "key list", "key revoke", "doctor"].includes(command))
    throw new UsageError(`unknown command: ${command}`);
  if (command === "key revoke" && !arg) throw new UsageError("key revoke needs the key's id");
  const scopes = command === "key create" ? parseScopes(values.scopes) : [];

  const config = loadConfig(process.env);
  const logger = createLogger({ level: "warn", pretty: false, destination: process.stderr });
  const opened = await openDatabase(config, (l) => logger.info(l), { attachToRunning: true });
  try {
    const db = createDb(opened.ds);
    const keys = new ApiKeyService({ db, now: () => new Date(), randomBytes: crypto.randomBytes, logger });
    switch (command) {
      case "doctor": {
        const ids = values.merchant
          ? [await pickMerchant(db, values.merchant)]
          : (await db.repos.merchants.list()).filter((m) => !m.disabledAt).map((m) => m.id);
        if (ids.length === 0)
          throw new UsageError("no merchants yet: start the backend once to configure them");
        // The same master key the backend opens the credentials with (boot.ts).
        const box = new SecretBox(
          config.MASTER_KEY ? parseMasterKey(config.MASTER_KEY) : loadOrCreateMasterKey(config.dataDir),
        );
        const reports = await doctorMerchants(db, box, config, ids);
        for (const r of reports) for (const line of formatDoctorReport(r)) out(line);
        return reports.some((r) => r.failed > 0) ? 1 : 0;
      }
      case "merchant list":
        for (const m of await db.repos.merchants.list())
          out(
            [m.id, m.disabledAt ? "disabled" : "enabled", m.apiVersion, m.appid, m.mchid, m.name].join("\t"),
          );
        return 0;
      case "key create": {
        const merchantId = await pickMerchant(db, values.merchant);
        const k = await keys.create(merchantId, { name: values.name ?? "cli", scopes }, CLI_ACTOR);
        out(`created key ${k.id} "${k.name}" for ${merchantId}: ${k.scopes.join(",")}`);
        out("the key is shown only this once:");
        out(k.key);
        return 0;
      }
      case "key list": {
        const merchantId = values.merchant ? await pickMerchant(db, values.merchant) : null;
        for (const r of await db.repos.apiKeys.list(merchantId)) {
          const v = keyView(r);
          out(
            [
              v.id,
              r.merchantId,
              `${v.prefix}…`,
              v.revokedAt ? "revoked" : "active",
              v.scopes.join(","),
              v.lastUsedAt ?? "never used",
              v.name,
            ].join("\t"),
          );
        }
        return 0;
      }
      case "key revoke": {
        const k = await db.repos.apiKeys.byIdAnyMerchant(arg!);
        if (!k) throw new UsageError(`no key ${arg}`);
        await keys.revoke(k.merchantId, k.id, CLI_ACTOR);
        out(k.revokedAt ? `key ${k.id} was already revoked` : `revoked key ${k.id}`);
        return 0;
      }
    }
    return 0;
  } finally {
    await opened.close();
  }
}

run(process.argv.slice(2), (line) => process.stdout.write(line + "\n")).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof UsageError || (err as { code?: string })?.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `${err instanceof ConfigError || err instanceof AppError ? err.message : `minipay: ${(err as Error)?.message ?? err}`}\n`,
    );
    process.exit(1);
  },
);
