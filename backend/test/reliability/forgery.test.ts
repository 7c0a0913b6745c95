/**
 * G2 and G14 (docs/reliability.md B1–B7, A1): a forgery matrix against the pay notify endpoints of
 * two v2 and two v3 merchants. Each order is paid at the sandbox with its notify dropped, so the
 * only way it can become paid is a notify we send: K copies of each of 16 forged variants per
 * merchant must change nothing and never be answered with success; then the genuine notify (built
 * the same way) is applied, which proves the builder right. Over HTTP ±299 s of skew is accepted and
 * ±301 s refused (the exact 300 s edge is pinned in src/wechat/v3/crypto.test.ts).
 */
import crypto from "node:crypto";
import http from "node:http";
import type { MerchantMaterial } from "../../../sandbox/src/crypto/keys";
import { signV2, toXml, type SignType } from "../../../sandbox/src/crypto/v2";
import { responseSigningMessage, rsaSignB64 } from "../../../sandbox/src/crypto/v3";
import {
  paymentNotify,
  signV3Headers,
  v2OrderFields,
  type Faults,
} from "../../../sandbox/src/notify/payloads";
import type { SandboxOrder } from "../../../sandbox/src/state/store";
import { merchantIdFor } from "../../src/merchants/secrets";
import type { MerchantSeed } from "../../src/merchants/sources";
import { MERCHANTS, payingOrder, useSandbox, useStack } from "../helpers/sandbox-stack";
import { Capture, record, sandboxSecrets, scanAndRecord, size } from "./kit";

const K = size(3, 100);
const sandbox = useSandbox();
const stack = useStack(sandbox, MERCHANTS);
const capture = new Capture();
const rogue = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
  type: "pkcs8",
  format: "pem",
}) as string;

interface Wire {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** Raw POST (node:http, so Host and any header can be set as an attacker would). */
function post(w: Wire): Promise<{ status: number; text: string }> {
  const u = new URL(stack.h.url + w.path);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method: "POST", headers: w.headers },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (d) => parts.push(d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString() }));
      },
    );
    req.on("error", reject);
    req.end(w.body);
  });
}

const succeeded = (version: "v2" | "v3", r: { status: number; text: string }) =>
  version === "v3" ? r.status >= 200 && r.status < 300 : /<return_code>(<!\[CDATA\[)?SUCCESS/.test(r.text);

interface Target {
  seed: MerchantSeed;
  m: MerchantMaterial;
  order: SandboxOrder;
  path: string;
  orderId: string;
}

/** An order paid at WeChat (the sandbox) whose notify was dropped: still paying here. */
async function target(name: string): Promise<Target> {
  const seed = stack.merchants.find((s) => s.credentials.mchid === mchidOf(name))!;
  const p = await payingOrder(stack, { productId: "oolong-tea", quantity: 1 }, seed);
  capture.openids.add(p.openid);
  await stack.sb.scenario({ match: { out_trade_no: p.order.outTradeNo }, action: "drop_notify" });
  await stack.sb.pay({ prepay_id: p.prepayId, openid: p.openid, outcome: "SUCCESS" });
  const order = sandbox.sandbox.context.store.order(seed.credentials.mchid, p.order.outTradeNo)!;
  return { seed, m: material(name), order, path: new URL(order.notifyUrl).pathname, orderId: p.order.id };
}
const material = (name: string) => sandbox.sandbox.keys.merchants.find((m) => m.name === name)!;
const mchidOf = (name: string) => material(name).mchid;

async function state(orderId: string): Promise<string> {
  return (await stack.h.ds.query(`SELECT state FROM orders WHERE id = $1`, [orderId]))[0].state;
}

// ---- v2 ------------------------------------------------------------------------------------

function v2Fields(t: Target, extra: Record<string, string | number> = {}): Record<string, string | number> {
  const f: Record<string, string | number> = {
    return_code: "SUCCESS",
    appid: t.order.appid,
    mch_id: t.order.mchid,
    nonce_str: crypto.randomBytes(16).toString("hex"),
    sign_type: t.m.signType!,
    result_code: "SUCCESS",
    ...v2OrderFields(t.order),
    ...extra,
  };
  delete f.trade_state;
  delete f.trade_state_desc;
  return f;
}
const xmlHeaders = { "content-type": "text/xml; charset=utf-8" };
const other = (t: Target, names: string[]) => material(names.find((n) => n !== t.m.name)!);
const otherType = (s: SignType): SignType => (s === "MD5" ? "HMAC-SHA256" : "MD5");
const randomKey = () => crypto.randomBytes(16).toString("hex");

const V2_VARIANTS: Record<string, (t: Target) => Wire> = {
  "wrong key": (t) => {
    const f = v2Fields(t);
    return {
      path: t.path,
      headers: xmlHeaders,
      body: toXml({ ...f, sign: signV2(f, randomKey(), t.m.signType!) }),
    };
  },
  "other merchant's key": (t) => {
    const f = v2Fields(t);
    const o = other(t, ["v2-md5", "v2-hmac"]);
    return {
      path: t.path,
      headers: xmlHeaders,
      body: toXml({ ...f, sign: signV2(f, o.apiV2Key, t.m.signType!) }),
    };
  },
  "tampered body (transaction id)": (t) => {
    const f = v2Fields(t);
    const sign = signV2(f, t.m.apiV2Key, t.m.signType!);
    return {
      path: t.path,
      headers: xmlHeaders,
      // A different last digit, always: a no-op "tamper" would be the genuine notify.
      body: toXml({
        ...f,
        transaction_id: String(f.transaction_id).replace(/.$/, (c) => (c === "9" ? "8" : "9")),
        sign,
      }),
    };
  },
  "amount +1 re-signed with a wrong key": (t) => {
    const f = v2Fields(t, { total_fee: Number(v2OrderFields(t.order).total_fee) + 1 });
    return {
      path: t.path,
      headers: xmlHeaders,
      body: toXml({ ...f, sign: signV2(f, randomKey(), t.m.signType!) }),
    };
  },
  "no sign": (t) => ({ path: t.path, headers: xmlHeaders, body: toXml(v2Fields(t)) }),
  "empty sign": (t) => ({
    path: t.path,
    headers: xmlHeaders,
    body: toXml(v2Fields(t)).replace("</xml>", "<sign></sign></xml>"),
  }),
  "probe sign": (t) => ({
    path: t.path,
    headers: xmlHeaders,
    body: toXml({ ...v2Fields(t), sign: "WECHATPAY/SIGNTEST/" }),
  }),
  "other algorithm, right key": (t) => {
    const f = v2Fields(t, { sign_type: otherType(t.m.signType!) });
    return {
      path: t.path,
      headers: xmlHeaders,
      body: toXml({ ...f, sign: signV2(f, t.m.apiV2Key, otherType(t.m.signType!)) }),
    };
  },
  "replay to the other merchant's URL": (t) => {
    const f = v2Fields(t);
    const o = other(t, ["v2-md5", "v2-hmac"]);
    const path = t.path.replace(`/${mid(t.m.mchid)}/`, `/${mid(o.mchid)}/`);
    return { path, headers: xmlHeaders, body: toXml({ ...f, sign: signV2(f, t.m.apiV2Key, t.m.signType!) }) };
  },
  "foreign mch_id, right key": (t) => {
    const f = v2Fields(t, { mch_id: "1900009999" });
    return {
      path: t.path,
      headers: xmlHeaders,
      body: toXml({ ...f, sign: signV2(f, t.m.apiV2Key, t.m.signType!) }),
    };
  },
  "foreign appid, right key": (t) => {
    const f = v2Fields(t, { appid: "wx0000000000009999" });
    return {
      path: t.path,
      headers: xmlHeaders,
      body: toXml({ ...f, sign: signV2(f, t.m.apiV2Key, t.m.signType!) }),
    };
  },
  "no return_code, right key": (t) => {
    const f = v2Fields(t);
    delete f.return_code;
    return {
      path: t.path,
      headers: xmlHeaders,
      body: toXml({ ...f, sign: signV2(f, t.m.apiV2Key, t.m.signType!) }),
    };
  },
  "XXE around a genuine body": (t) => {
    const f = v2Fields(t);
    const inner = toXml({ ...f, sign: signV2(f, t.m.apiV2Key, t.m.signType!) });
    return {
      path: t.path,
      headers: xmlHeaders,
      body: `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>${inner.replace("</xml>", "<attach>&x;</attach></xml>")}`,
    };
  },
  "Host: localhost + forwarded for 127.0.0.1, wrong key": (t) => {
    const f = v2Fields(t);
    return {
      path: t.path,
      headers: { ...xmlHeaders, host: "localhost", "x-forwarded-for": "127.0.0.1", "x-real-ip": "127.0.0.1" },
      body: toXml({ ...f, sign: signV2(f, randomKey(), t.m.signType!) }),
    };
  },
  "oversized body (70 KiB), right key": (t) => {
    const f = v2Fields(t, { attach: "a".repeat(70 * 1024) });
    return {
      path: t.path,
      headers: xmlHeaders,
      body: toXml({ ...f, sign: signV2(f, t.m.apiV2Key, t.m.signType!) }),
    };
  },
  "result_code FAIL, right key": (t) => {
    const f = v2Fields(t, { result_code: "FAIL", err_code: "SYSTEMERROR" });
    return {
      path: t.path,
      headers: xmlHeaders,
      body: toXml({ ...f, sign: signV2(f, t.m.apiV2Key, t.m.signType!) }),
    };
  },
};
/** result_code FAIL is a genuine message (acknowledged, as WeChat expects), but must not pay. */
const ACK_ALLOWED = new Set(["result_code FAIL, right key"]);

function v2Genuine(t: Target): Wire {
  const f = v2Fields(t);
  const sign = signV2(f, t.m.apiV2Key, t.m.signType!);
  capture.secret("a genuine v2 sign", sign);
  return { path: t.path, headers: xmlHeaders, body: toXml({ ...f, sign }) };
}

// ---- v3 ------------------------------------------------------------------------------------

const keys = () => sandbox.sandbox.keys;
function v3(t: Target, f: Faults = {}, m: MerchantMaterial = t.m, now = Date.now()): Wire {
  const w = paymentNotify(keys(), m, t.order, now, f);
  return { path: t.path, headers: lower(w.headers), body: w.body };
}
const lower = (h: Record<string, string>) =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
function resign(w: Wire, pem: string): Wire {
  const h = { ...w.headers };
  h["wechatpay-signature"] = rsaSignB64(
    responseSigningMessage(h["wechatpay-timestamp"]!, h["wechatpay-nonce"]!, w.body),
    pem,
  );
  return { ...w, headers: h };
}
const without = (w: Wire, ...names: string[]) => ({
  ...w,
  headers: Object.fromEntries(Object.entries(w.headers).filter(([k]) => !names.includes(k))),
});
/** A genuine notify whose timestamp is `seconds` off; built a second ahead so delivery time only adds to |skew| for +. */
function skewed(t: Target, seconds: number): Wire {
  const base = v3(t);
  const ts = Math.floor(Date.now() / 1000) + (seconds > 0 ? 1 : 0) + seconds;
  const h = lower(signV3Headers(keys(), t.m.keyMode ?? "public_key", base.body, ts * 1000));
  return { ...base, headers: { ...base.headers, ...h } };
}

/**
 * A genuine notify whose timestamp is `seconds` off, rounded towards less skew, so the whole
 * seconds of the header and the delivery time never take it past `seconds` (given under 1 s).
 */
function within(t: Target, seconds: number): Wire {
  const base = v3(t);
  const now = Date.now() / 1000;
  const ts = seconds > 0 ? Math.floor(now) + seconds : Math.ceil(now) + seconds;
  const h = lower(signV3Headers(keys(), t.m.keyMode ?? "public_key", base.body, ts * 1000));
  return { ...base, headers: { ...base.headers, ...h } };
}

const V3_VARIANTS: Record<string, (t: Target) => Wire> = {
  "wrong key": (t) => resign(v3(t), rogue),
  "other merchant's APIv3 key": (t) =>
    v3(t, {}, { ...t.m, apiV3Key: other(t, ["v3-platform-cert", "v3-public-key"]).apiV3Key }),
  "tampered body (event id)": (t) => {
    const w = v3(t);
    return { ...w, body: w.body.replace(/"id":"(.)/, (_m, c) => `"id":"${c === "a" ? "b" : "a"}`) };
  },
  "amount +1 re-signed with a wrong key": (t) => resign(v3(t, { tamperAmount: true }), rogue),
  "unknown serial": (t) => v3(t, { unknownSerial: true }),
  "probe signature": (t) => v3(t, { probe: true }),
  "timestamp +301 s": (t) => skewed(t, 301),
  "timestamp -301 s": (t) => skewed(t, -301),
  "replay to the other merchant's URL": (t) => {
    const w = v3(t);
    const o = other(t, ["v3-platform-cert", "v3-public-key"]);
    return { ...w, path: t.path.replace(`/${mid(t.m.mchid)}/`, `/${mid(o.mchid)}/`) };
  },
  "no signature header": (t) => without(v3(t), "wechatpay-signature"),
  "no timestamp and nonce": (t) => without(v3(t), "wechatpay-timestamp", "wechatpay-nonce"),
  "empty signature": (t) => {
    const w = v3(t);
    return { ...w, headers: { ...w.headers, "wechatpay-signature": "" } };
  },
  "re-formatted JSON, original signature": (t) => {
    const w = v3(t);
    return { ...w, body: JSON.stringify(JSON.parse(w.body), null, 1) };
  },
  "signature of another genuine notify": (t) => ({ ...v3(t), headers: v3(t).headers }),
  "XXE body with genuine headers": (t) => {
    const w = v3(t);
    return {
      ...w,
      body: `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>`,
    };
  },
  "Host: localhost + forwarded for 127.0.0.1, wrong key": (t) => {
    const w = resign(v3(t), rogue);
    return { ...w, headers: { ...w.headers, host: "localhost", "x-forwarded-for": "127.0.0.1" } };
  },
};

/** The notify path names the merchant by its id, as the order's notify_url does. */
const mid = (mchid: string) => merchantIdFor(mchid);

async function runMatrix(
  version: "v2" | "v3",
  names: string[],
  variants: Record<string, (t: Target) => Wire>,
  genuine: (t: Target) => Wire,
) {
  const targets = [];
  for (const n of names) targets.push(await target(n));
  let sent = 0;
  let accepted = 0;
  const statuses = new Map<number, number>();
  for (const [label, build] of Object.entries(variants)) {
    let wrong = 0;
    for (const t of targets)
      for (let i = 0; i < K; i++) {
        const r = await post(build(t));
        sent++;
        capture.add(r.text);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (succeeded(version, r) && !ACK_ALLOWED.has(label)) wrong++;
        if (r.status >= 500) wrong++;
      }
    for (const t of targets) if ((await state(t.orderId)) !== "paying") wrong++;
    if (wrong) process.stdout.write(`forgery ${version} "${label}": ${wrong} accepted\n`);
    accepted += wrong;
  }
  // The genuine notify, built the same way, is applied: the matrix tested the real checks.
  let genuineApplied = 0;
  for (const t of targets) {
    const r = await post(genuine(t));
    capture.add(r.text);
    if (succeeded(version, r) && (await state(t.orderId)) === "paid") genuineApplied++;
  }
  record({
    goal: "G2",
    check: `forged ${version} pay notifies`,
    tried: `${Object.keys(variants).length} variants × ${K} × ${names.length} merchants (${names.join(", ")})`,
    count: sent,
    wrong: accepted + (targets.length - genuineApplied),
    detail: `accepted=${accepted}; answers ${JSON.stringify(Object.fromEntries(statuses))}; genuine applied ${genuineApplied}/${targets.length}`,
  });
  expect(accepted).toBe(0);
  expect(genuineApplied).toBe(targets.length);
}

it(`v2: ${Object.keys(V2_VARIANTS).length} forged variants × ${K} per merchant are refused, the genuine one applied`, async () => {
  await runMatrix("v2", ["v2-md5", "v2-hmac"], V2_VARIANTS, v2Genuine);
}, 600_000);

it(`v3: ${Object.keys(V3_VARIANTS).length} forged variants × ${K} per merchant are refused, the genuine one applied`, async () => {
  await runMatrix("v3", ["v3-platform-cert", "v3-public-key"], V3_VARIANTS, (t) => {
    const w = v3(t);
    capture.secret("a genuine v3 signature", w.headers["wechatpay-signature"]);
    return w;
  });
}, 600_000);

it("v3 over HTTP: ±299 s of skew accepted, ±301 s refused", async () => {
  let tried = 0;
  let wrong = 0;
  for (const name of ["v3-platform-cert", "v3-public-key"]) {
    for (const seconds of [299, -299]) {
      const t = await target(name);
      for (const bad of [301, -301]) {
        tried++;
        const r = await post(skewed(t, bad));
        if (succeeded("v3", r) || (await state(t.orderId)) !== "paying") wrong++;
      }
      tried++;
      const r = await post(within(t, seconds));
      if (!succeeded("v3", r) || (await state(t.orderId)) !== "paid") wrong++;
    }
  }
  record({
    goal: "G14",
    check: "v3 timestamp skew over HTTP",
    tried: "±301 s refused then ±299 s accepted, per v3 merchant",
    count: tried,
    wrong,
  });
  expect(wrong).toBe(0);
});

afterAll(() => {
  sandboxSecrets(sandbox, capture);
  expect(scanAndRecord("forgery", capture, stack.h.logs)).toEqual([]);
});
