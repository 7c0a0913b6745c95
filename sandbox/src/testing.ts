/**
 * Test kit: a sandbox on free ports with a temp data dir and seeded keys, plus a typed client for
 * its control API. The sandbox's own tests use it, and backend tests can import it as
 * `../../../sandbox/src/testing`:
 *
 *   const sb = await startTestSandbox();
 *   const m = await sb.control.merchant("v3-public-key");
 *   await sb.control.scenario({ match: { out_trade_no: no }, action: "prepay_error", times: 1 });
 *   await sb.control.pay({ prepay_id, outcome: "SUCCESS" });
 *   const attempts = await sb.control.notifications({ out_trade_no: no });
 *   await sb.close();
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Logger } from "pino";
import { SandboxControl } from "./control/client";
import { startSandbox, type RunningSandbox } from "./server";

export { SandboxControl, SandboxControlError, type PayInput, type ScenarioInput } from "./control/client";
export { fetchJson, type JsonResponse } from "./control/fetch-json";
export type { LoginCode, MerchantsDoc, NotifyAttempt, PayResult, SandboxMerchant } from "./control/routes";
export type { StoredRule } from "./notify/scenarios";
export { MERCHANT_NAMES, type MerchantName } from "./crypto/keys";

export interface TestSandboxOptions {
  /** Same seed, same keys; default "minipay-tests" (keys are cached per seed, so starts are fast). */
  seed?: string;
  /** Default 0.001: WeChat's 24 h notify schedule runs in about 87 s. */
  timeScale?: number;
  closeMinAgeSeconds?: number;
  now?: () => number;
  logger?: Logger;
}

export interface TestSandbox {
  url: string;
  /** The HTTPS port that asks for the merchant's client certificate (v2 /secapi/*). */
  tlsUrl: string;
  control: SandboxControl;
  /** The running instance, for tests that need to reach inside (clock, held requests). */
  sandbox: RunningSandbox;
  close(): Promise<void>;
}

export async function startTestSandbox(opts: TestSandboxOptions = {}): Promise<TestSandbox> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "minipay-sandbox-"));
  try {
    const sb = await startSandbox({
      port: 0,
      tlsPort: 0,
      dataDir,
      seed: opts.seed ?? "minipay-tests",
      timeScale: opts.timeScale ?? 0.001,
      closeMinAgeSeconds: opts.closeMinAgeSeconds,
      now: opts.now,
      logger: opts.logger,
    });
    return {
      url: sb.url,
      tlsUrl: sb.tlsUrl,
      control: new SandboxControl(sb.url),
      sandbox: sb,
      close: async () => {
        await sb.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}
