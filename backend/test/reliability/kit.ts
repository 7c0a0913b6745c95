/**
 * What the reliability suite shares (docs/reliability.md, "Reliability suite"): the size of each run
 * (small inside `npm test`, full under `npm run reliability`), one printed line per check, and the
 * secret scanner every file runs over the answers and log lines it produced.
 */
import fs from "node:fs";
import { idemKey, type Sandbox } from "../helpers/sandbox-stack";

/** `npm run reliability` sets RELIABILITY_FULL=1; jest alone runs the scaled-down sizes. */
export const FULL = process.env.RELIABILITY_FULL === "1";
export const size = (ci: number, full: number): number => (FULL ? full : ci);

export interface Line {
  /** Which goal of docs/reliability.md the line is evidence for (G1, G2, ...). */
  goal: string;
  check: string;
  /** What was tried, in words. */
  tried: string;
  /** How many times it was tried. */
  count: number;
  /** What went wrong: must be 0. */
  wrong: number;
  /** Figures behind the line (counts, time). */
  detail?: string;
}

/**
 * Print one line (stdout, so jest shows it without a stack) and, under the runner, append it to the
 * file the runner prints its table from.
 */
export function record(line: Line): void {
  const text = `reliability ${line.goal} ${line.check}: ${line.tried} × ${line.count}, wrong ${line.wrong}${
    line.detail ? ` (${line.detail})` : ""
  }\n`;
  process.stdout.write(text);
  const out = process.env.RELIABILITY_OUT;
  if (out) fs.appendFileSync(out, JSON.stringify(line) + "\n");
}

/** Everything a file's checks saw come back (answers) or go out (log lines), for the scanner. */
export class Capture {
  readonly texts: string[] = [];
  readonly openids = new Set<string>();
  readonly needles = new Map<string, string>();
  add(text: string): void {
    if (text) this.texts.push(text);
  }
  /** A value that must never show up (a signature we sent, a key), under a label for the report. */
  secret(label: string, value: string | undefined): void {
    if (value && value.length >= 8) this.needles.set(value, label);
  }
}

/** The sandbox's secrets: every merchant's keys and app secret, and the WeChat private keys. */
export function sandboxSecrets(sandbox: Sandbox, c: Capture): void {
  const k = sandbox.sandbox.keys;
  for (const m of k.merchants) {
    c.secret(`${m.name} APIv2 key`, m.apiV2Key);
    c.secret(`${m.name} APIv3 key`, m.apiV3Key);
    c.secret(`${m.name} appsecret`, m.appsecret);
  }
  // One line from inside each PEM is enough to find a key pasted anywhere.
  for (const [label, pem] of [
    ["WeChat private key", k.wechatKeyPem],
    ["merchant private key", k.merchantKeyPem],
  ] as const)
    c.secret(label, pem.split("\n")[2]);
}

const PATTERNS: [string, RegExp][] = [
  ["private key block", /BEGIN [A-Z ]*PRIVATE KEY/],
  ["session_key", /session_?key/i],
  ["Wechatpay-Signature header", /wechatpay-signature/i],
];

/** Scan what `c` captured: 0 hits expected. Records the line and returns the hits for the assertion. */
export function scanAndRecord(check: string, c: Capture, logs: string[] = []): string[] {
  const hits: string[] = [];
  const all = [...c.texts, ...logs];
  for (const t of all) {
    for (const [label, re] of PATTERNS) if (re.test(t)) hits.push(`${label}: ${t.slice(0, 160)}`);
    for (const [value, label] of c.needles) if (t.includes(value)) hits.push(`${label}: ${t.slice(0, 160)}`);
    for (const o of c.openids) if (t.includes(o)) hits.push(`full openid: ${t.slice(0, 160)}`);
  }
  record({
    goal: "G16",
    check: `secret scan (${check})`,
    tried: `answers and log lines scanned for ${c.needles.size} secrets, ${c.openids.size} openids and ${PATTERNS.length} patterns`,
    count: all.length,
    wrong: hits.length,
  });
  return hits;
}

/** Run `fn` over `items` with at most `width` at a time. */
export async function pool<T, R>(
  items: T[],
  width: number,
  fn: (x: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

export type ShopCall = (
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
) => Promise<{ status: number; body: any }>;

/** The shopper's API of a backend at `url`, every answer kept for the scanner. */
export function shopCaller(url: string, capture: Capture): ShopCall {
  return async (method, p, token, body) => {
    const r = await fetch(url + p, {
      method,
      headers: {
        "content-type": "application/json",
        "idempotency-key": idemKey(),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    capture.add(text);
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
}

/** One signed-in shopper per sandbox merchant named, their openids noted for the scanner. */
export async function loginShoppers(
  sandbox: Sandbox,
  call: ShopCall,
  capture: Capture,
  merchants: readonly string[],
): Promise<{ token: string; openid: string }[]> {
  const shoppers: { token: string; openid: string }[] = [];
  for (const name of merchants) {
    const appid = sandbox.sandbox.keys.merchants.find((m) => m.name === name)!.appid;
    const c = await sandbox.control.loginCode(appid);
    capture.openids.add(c.openid);
    const s = await call("POST", "/api/v1/session", null, { code: c.code, appid });
    if (s.status !== 200) throw new Error(`login for ${name} answered ${s.status}`);
    shoppers.push({ token: s.body.token as string, openid: c.openid });
  }
  return shoppers;
}

/** The environment a reliability check's own backend process runs with (besides ports and data). */
export const CHILD_BACKEND_ENV = {
  JOBS_ENABLED: "false",
  SWEEPER_INTERVAL_MS: "0",
  PRUNE_INTERVAL_MS: "0",
  LOG_LEVEL: "info",
  LOG_PRETTY: "false",
  ORDER_RATE_PER_USER_PER_MINUTE: "100000",
  MAX_OPEN_ORDERS_PER_USER: "1000",
  MAX_QUANTITY_PER_PRODUCT_PER_USER: "100000",
};

/** `n` orders of one oolong tea with their JSAPI prepay, shoppers taken in turn, six at a time. */
export function ordersWithPrepay(
  call: ShopCall,
  shoppers: { token: string; openid: string }[],
  n: number,
): Promise<{ id: string; outTradeNo: string; prepayId: string; openid: string }[]> {
  return pool(
    Array.from({ length: n }, (_, i) => i),
    6,
    async (i) => {
      const who = shoppers[i % shoppers.length]!;
      const o = await call("POST", "/api/v1/orders", who.token, {
        items: [{ productId: "oolong-tea", quantity: 1 }],
      });
      const pay = await call("POST", `/api/v1/orders/${o.body.id}/payments`, who.token, { method: "jsapi" });
      return {
        id: o.body.id as string,
        outTradeNo: o.body.outTradeNo as string,
        prepayId: String(pay.body.params.package).slice("prepay_id=".length),
        openid: who.openid,
      };
    },
  );
}
