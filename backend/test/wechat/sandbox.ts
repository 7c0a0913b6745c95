/**
 * The real sandbox for wechat/ tests, without the backend app: start it, read a merchant's
 * credentials from its control API, drive the shopper, and capture the notifies it sends.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { startSandbox } from "../../../sandbox/src";
import type { InboundNotify, MerchantCredentials } from "../../src/wechat/types";

export type MerchantName = "v2-md5" | "v2-hmac" | "v3-platform-cert" | "v3-public-key";

export interface TestSandbox {
  url: string;
  credentials(name: MerchantName): Promise<MerchantCredentials>;
  control(
    method: "GET" | "POST" | "DELETE",
    p: string,
    body?: unknown,
  ): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function startWechatSandbox(): Promise<TestSandbox> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "minipay-wechat-"));
  const sb = await startSandbox({ port: 0, tlsPort: 0, seed: "minipay-tests", timeScale: 0.001, dataDir });
  const control: TestSandbox["control"] = async (method, p, body) => {
    const res = await fetch(sb.url + p, {
      method,
      headers: body !== undefined ? { "content-type": "application/json" } : {},
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    url: sb.url,
    control,
    async credentials(name) {
      const { body: doc } = await control("GET", "/__sandbox/merchants");
      const m = doc.merchants.find((x: { name: string }) => x.name === name);
      if (!m) throw new Error(`sandbox has no merchant ${name}`);
      const base = { apiVersion: m.apiVersion, appid: m.appid, mchid: m.mchid, baseUrl: doc.baseUrl };
      if (m.apiVersion === "v2")
        return {
          ...base,
          tlsBaseUrl: doc.tlsBaseUrl,
          v2: {
            key: m.apiV2Key,
            signType: m.signType,
            clientCertPem: m.clientCertPem,
            clientKeyPem: m.clientKeyPem,
            caPem: doc.caCertificatePem,
          },
        };
      return {
        ...base,
        v3: {
          apiV3Key: m.apiV3Key,
          privateKeyPem: m.merchantPrivateKeyPem,
          certificateSerial: m.merchantCertificateSerial,
          keyMode: m.keyMode,
          // Certificate mode starts empty, so the gateway downloads and decrypts the certificates.
          platformCertificates: [],
          publicKeyId: m.keyMode === "public_key" ? m.wechatpayPublicKeyId : undefined,
          publicKeyPem: m.keyMode === "public_key" ? m.wechatpayPublicKeyPem : undefined,
        },
      };
    },
    close: async () => {
      await sb.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A local notify_url that keeps every request and answers success in the version's own way. */
export interface NotifyInbox {
  url: string;
  received: (InboundNotify & { path: string })[];
  /** Wait for the first request to `path` that `match` accepts. */
  next(path: string, match?: (n: InboundNotify) => boolean, timeoutMs?: number): Promise<InboundNotify>;
  close(): Promise<void>;
}

export async function startNotifyInbox(): Promise<NotifyInbox> {
  const received: NotifyInbox["received"] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, rawBody: Buffer.concat(chunks) });
      if (String(req.headers["content-type"]).includes("xml")) {
        res.writeHead(200, { "content-type": "text/xml" });
        res.end(
          "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>",
        );
      } else {
        res.writeHead(204);
        res.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    async next(p, match = () => true, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const hit = received.find((n) => n.path === p && match(n));
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`no notify at ${p} within ${timeoutMs} ms`);
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
