/** Test helpers: a sandbox on free ports, tiny v2/v3 clients, and a notify receiver. */
import crypto from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { randomAlnum } from "../src/crypto/random";
import { fromXml, signV2, toXml, type SignType } from "../src/crypto/v2";
import { requestSigningMessage, responseSigningMessage, rsaSignB64, rsaVerifyB64 } from "../src/crypto/v3";
import { startTestSandbox, type SandboxMerchant, type TestSandboxOptions } from "../src/testing";

/** A test sandbox (fast notify schedule) with its merchants at hand. */
export async function sandbox(opts: TestSandboxOptions = {}) {
  const t = await startTestSandbox({ timeScale: 0.0001, ...opts });
  const doc = await t.control.merchants();
  const m = (name: string): SandboxMerchant => {
    const found = doc.merchants.find((x) => x.name === name);
    if (!found) throw new Error(`no sandbox merchant ${name}`);
    return found;
  };
  return { sb: t.sandbox, control: t.control, doc, m, close: t.close };
}

type V2Opts = { signType?: SignType; badSign?: boolean; tls?: { cert: string; key: string; ca: string } };

/** POST a signed v2 request; returns the HTTP status, content type and body (text and bytes). */
export async function v2Raw(
  base: string,
  path: string,
  m: any,
  fields: Record<string, unknown>,
  o: V2Opts = {},
): Promise<{ status: number; type: string; text: string; bytes: Buffer }> {
  const signType = o.signType ?? m.signType ?? "MD5";
  const body: Record<string, unknown> = {
    appid: m.appid,
    mch_id: m.mchid,
    nonce_str: randomAlnum(32),
    sign_type: signType,
    ...fields,
  };
  body.sign = o.badSign ? "0".repeat(32) : signV2(body, m.apiV2Key, signType);
  const xml = toXml(body);
  const url = new URL(base + path);
  return new Promise((resolve, reject) => {
    const mod = url.protocol === "https:" ? https : http;
    const req = mod.request(
      url,
      {
        method: "POST",
        headers: { "content-type": "text/xml" },
        ...(o.tls ? { cert: o.tls.cert, key: o.tls.key, ca: o.tls.ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const bytes = Buffer.concat(chunks);
          const type = String(res.headers["content-type"] ?? "");
          resolve({ status: res.statusCode ?? 0, type, text: bytes.toString("utf8"), bytes });
        });
      },
    );
    req.on("error", reject);
    req.end(xml);
  });
}

/** POST a signed v2 request; returns the parsed XML answer. */
export async function v2(...args: Parameters<typeof v2Raw>): Promise<Record<string, string>> {
  return fromXml((await v2Raw(...args)).text);
}

/** A signed v3 request with the merchant key; returns status, headers and body (text and bytes). */
export async function v3(
  base: string,
  method: "GET" | "POST",
  path: string,
  m: any,
  body?: unknown,
  o: { skew?: number; badSign?: boolean } = {},
) {
  const raw = body === undefined ? "" : JSON.stringify(body);
  const ts = String(Math.floor(Date.now() / 1000) + (o.skew ?? 0));
  const nonce = randomAlnum(32);
  let sig = rsaSignB64(requestSigningMessage(method, path, ts, nonce, raw), m.merchantPrivateKeyPem);
  if (o.badSign) sig = crypto.randomBytes(256).toString("base64");
  const res = await fetch(base + path, {
    method,
    headers: {
      authorization: `WECHATPAY2-SHA256-RSA2048 mchid="${m.mchid}",nonce_str="${nonce}",signature="${sig}",timestamp="${ts}",serial_no="${m.merchantCertificateSerial}"`,
      accept: "application/json",
      ...(raw ? { "content-type": "application/json" } : {}),
    },
    body: raw || undefined,
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, text: bytes.toString("utf8"), bytes };
}

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A notify_url: records what arrives and answers with `reply(n)` for the n-th delivery. */
export async function receiver(reply: (n: number) => { status: number; body: string }) {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let d = "";
    req.on("data", (c) => (d += c));
    req.on("end", () => {
      got.push({ headers: req.headers, body: d, at: Date.now() });
      const r = reply(got.length);
      res.statusCode = r.status;
      res.end(r.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`,
    got,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export const V2_OK = {
  status: 200,
  body: "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>",
};

export async function until<T>(fn: () => T | Promise<T>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const newNo = () => `T${Date.now()}${randomAlnum(8)}`;

/** A minimal valid v2 unifiedorder (JSAPI, 1 fen) for tests that only need an order to exist. */
export const v2Order = (no: string) => ({
  body: "x",
  out_trade_no: no,
  total_fee: 1,
  spbill_create_ip: "127.0.0.1",
  notify_url: "http://127.0.0.1:9/n",
  trade_type: "JSAPI",
  openid: "o1",
});

/** Verify a response the way a merchant must: the serial names the key of its key mode. */
export function verified(m: any, headers: Headers, body: string): boolean {
  const serial = headers.get("wechatpay-serial");
  const key =
    m.keyMode === "public_key"
      ? serial === m.wechatpayPublicKeyId
        ? m.wechatpayPublicKeyPem
        : null
      : serial === m.platformCertificateSerial
        ? m.platformCertificatePem
        : null;
  if (!key) return false;
  return rsaVerifyB64(
    responseSigningMessage(headers.get("wechatpay-timestamp")!, headers.get("wechatpay-nonce")!, body),
    headers.get("wechatpay-signature")!,
    key,
  );
}
