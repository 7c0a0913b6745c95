#!/usr/bin/env node
/**
 * minipay-sandbox: run the offline WeChat simulator and drive it from a terminal.
 *   start | config | pay | trigger | notifications | help
 */
import path from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { SandboxControl, SandboxControlError, type PayInput, type ScenarioInput } from "./control/client";
import { startSandbox } from "./server";

const HELP = `minipay-sandbox: an offline WeChat (code2Session + Pay v2/v3) for development and tests

Usage
  minipay-sandbox start [--port 3100] [--tls-port 3101] [--host 127.0.0.1] [--data-dir ./data/sandbox]
                        [--seed TEXT] [--time-scale 1] [--public-url URL]
  minipay-sandbox config [--merchant v3-public-key]      print what a backend should be configured with
  minipay-sandbox pay (--prepay-id ID | --code-url URL | --out-trade-no NO) [--outcome SUCCESS|PAYERROR|USERPAYING|CANCEL] [--openid ID]
  minipay-sandbox trigger <action> [--out-trade-no NO] [--times N] [--seconds N] [--ms N] [--mode SYSTEMERROR|http_500|timeout]
  minipay-sandbox trigger clear                           remove every scenario
  minipay-sandbox notifications [--out-trade-no NO]       every notify attempt, newest last

Scenario actions: drop_notify duplicate_notify delay_notify reorder_notify signtest_probe_first unknown_serial
  skew_timestamp tamper_amount prepay_error query_error close_error refund_error close_orderpaid login_error

Environment: SANDBOX_PORT, SANDBOX_TLS_PORT, SANDBOX_HOST, SANDBOX_DATA_DIR, SANDBOX_SEED, SANDBOX_TIME_SCALE,
  SANDBOX_PUBLIC_URL; the other commands talk to SANDBOX_URL (default http://127.0.0.1:3100).`;

function control(): SandboxControl {
  return new SandboxControl(
    process.env.SANDBOX_URL ?? `http://127.0.0.1:${process.env.SANDBOX_PORT ?? 3100}`,
  );
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      port: { type: "string" },
      "tls-port": { type: "string" },
      host: { type: "string" },
      "data-dir": { type: "string" },
      seed: { type: "string" },
      "time-scale": { type: "string" },
      "public-url": { type: "string" },
      merchant: { type: "string" },
      "prepay-id": { type: "string" },
      "code-url": { type: "string" },
      "out-trade-no": { type: "string" },
      outcome: { type: "string" },
      openid: { type: "string" },
      times: { type: "string" },
      seconds: { type: "string" },
      ms: { type: "string" },
      mode: { type: "string" },
    },
  });
  const env = process.env;
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  switch (cmd) {
    case "start": {
      const log = pino({ level: env.LOG_LEVEL ?? "info" });
      const sb = await startSandbox({
        port: num(values.port ?? env.SANDBOX_PORT) ?? 3100,
        tlsPort: num(values["tls-port"] ?? env.SANDBOX_TLS_PORT) ?? 3101,
        host: values.host ?? env.SANDBOX_HOST ?? "127.0.0.1",
        dataDir: path.resolve(values["data-dir"] ?? env.SANDBOX_DATA_DIR ?? "data/sandbox"),
        seed: values.seed ?? env.SANDBOX_SEED ?? null,
        timeScale: num(values["time-scale"] ?? env.SANDBOX_TIME_SCALE) ?? 1,
        publicUrl: values["public-url"] ?? env.SANDBOX_PUBLIC_URL,
        logger: log,
      });
      log.info(
        { url: sb.url, tlsUrl: sb.tlsUrl, merchants: sb.keys.merchants.map((m) => m.name) },
        "WeChat sandbox listening",
      );
      const stop = () => sb.close().then(() => process.exit(0));
      process.on("SIGTERM", stop);
      process.on("SIGINT", stop);
      return;
    }
    case "config": {
      const doc = await control().merchants();
      const name = values.merchant ?? "v3-public-key";
      const m = doc.merchants.find((x) => x.name === name);
      if (!m) throw new Error(`no merchant ${name}; have ${doc.merchants.map((x) => x.name).join(", ")}`);
      console.log(`# Backend configuration for sandbox merchant ${name} (${m.apiVersion})`);
      console.log(`MERCHANT_SOURCE=sandbox\nSANDBOX_URL=${doc.baseUrl}\nSANDBOX_MERCHANTS=${name}`);
      console.log(
        `# appid=${m.appid} mchid=${m.mchid}${m.signType ? ` sign_type=${m.signType}` : ""}${m.keyMode ? ` key_mode=${m.keyMode}` : ""}`,
      );
      return;
    }
    case "pay": {
      const r = await control().pay({
        ...(values["prepay-id"] ? { prepay_id: values["prepay-id"] } : {}),
        ...(values["code-url"] ? { code_url: values["code-url"] } : {}),
        ...(values["out-trade-no"] ? { out_trade_no: values["out-trade-no"] } : {}),
        ...(values.openid ? { openid: values.openid } : {}),
        outcome: (values.outcome ?? "SUCCESS") as PayInput["outcome"], // the sandbox validates it
      });
      console.log(
        `${r.out_trade_no}: ${r.trade_state}${r.transaction_id ? ` (transaction ${r.transaction_id})` : ""}`,
      );
      return;
    }
    case "trigger": {
      const action = positionals[0];
      if (!action) throw new Error("trigger needs an action (see help)");
      if (action === "clear") {
        console.log(`cleared ${await control().clearScenarios()} scenario(s)`);
        return;
      }
      // Sent as typed; the sandbox validates it and answers 400 for a bad action or mode.
      const rule = await control().scenario({
        action: action as ScenarioInput["action"],
        ...(values["out-trade-no"] ? { match: { out_trade_no: values["out-trade-no"] } } : {}),
        ...(values.times ? { times: Number(values.times) } : {}),
        ...(values.seconds ? { seconds: Number(values.seconds) } : {}),
        ...(values.ms ? { ms: Number(values.ms) } : {}),
        ...(values.mode ? { mode: values.mode as ScenarioInput["mode"] } : {}),
      });
      console.log(
        `scenario ${rule.id}: ${action}${values["out-trade-no"] ? ` for ${values["out-trade-no"]}` : " for every order"}`,
      );
      return;
    }
    case "notifications": {
      const list = await control().notifications({ out_trade_no: values["out-trade-no"] });
      for (const a of list)
        console.log(
          `${a.at}  ${a.kind.padEnd(6)} #${a.attempt}  ${a.out_trade_no}  ${a.ok ? "ok " : "FAIL"} ${a.status ?? "-"}  ${a.error ?? ""}`,
        );
      if (list.length === 0) console.log("no notifications yet");
      return;
    }
    default:
      console.log(HELP);
      if (cmd && cmd !== "help" && cmd !== "--help") process.exit(1);
  }
}

main(process.argv.slice(2)).catch((err) => {
  if (err instanceof SandboxControlError) console.error(`error ${err.status} ${err.code}: ${err.detail}`);
  else console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
