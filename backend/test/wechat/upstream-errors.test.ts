/**
 * How the gateways fail: network failures keep their cause and say which kind they are, and an
 * answer whose signature does not verify is a SignatureRejectedError, never trusted.
 */
import crypto from "node:crypto";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { SignatureRejectedError, WechatUpstreamError } from "../../src/wechat/errors";
import { createGateway } from "../../src/wechat/gateway-factory";
import type { MerchantCredentials, RefundRequest } from "../../src/wechat/types";
import { startWechatSandbox, type TestSandbox } from "./sandbox";
import { rejectionOf, signedV2Xml, withServer } from "./stubs";

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startWechatSandbox();
});
afterAll(() => sandbox?.close());

const failure = (p: Promise<unknown>) => rejectionOf(p, WechatUpstreamError);

/** A refund the tests send where only the way it fails matters. */
const REFUND: RefundRequest = {
  outTradeNo: "ABCDEF123",
  outRefundNo: "R1",
  totalFen: 1,
  refundFen: 1,
  notifyUrl: "http://x/n",
};

/** A v2 business SUCCESS answer for this merchant about order ABCDEF123, plus `more`. */
const v2Success = (creds: MerchantCredentials, more: Record<string, string>) => ({
  return_code: "SUCCESS",
  result_code: "SUCCESS",
  appid: creds.appid,
  mch_id: creds.mchid,
  nonce_str: "n0nce",
  out_trade_no: "ABCDEF123",
  ...more,
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("transport failures", () => {
  it("connection refused", async () => {
    const creds = await sandbox.credentials("v3-public-key");
    const gw = createGateway({ ...creds, baseUrl: `http://127.0.0.1:${await closedPort()}` }, { retries: 0 });
    const err = await failure(gw.queryOrder("ABCDEF123"));
    expect(err).toMatchObject({ failure: "network", detail: "connection_refused" });
    expect((err.cause as { code?: string }).code).toBe("ECONNREFUSED");
    expect(err.message).toContain("connection_refused");
  });

  it("timeout", async () => {
    const creds = await sandbox.credentials("v2-md5");
    // The server never answers.
    await withServer(
      () => undefined,
      async (baseUrl) => {
        const gw = createGateway({ ...creds, baseUrl }, { retries: 0, timeoutMs: 150 });
        const err = await failure(gw.queryOrder("ABCDEF123"));
        expect(err).toMatchObject({ failure: "timeout", detail: "timeout" });
        expect(err.cause).toBeInstanceOf(Error);
      },
    );
  });

  it("TLS: the sandbox's certificate is not trusted without its CA", async () => {
    const creds = await sandbox.credentials("v2-hmac");
    const untrusting: MerchantCredentials = { ...creds, v2: { ...creds.v2!, caPem: undefined } };
    const gw = createGateway(untrusting, { retries: 0 });
    const err = await failure(gw.refund(REFUND));
    expect(err).toMatchObject({ failure: "network", detail: "tls" });
  });

  it("DNS: a name that cannot resolve", async () => {
    const creds = await sandbox.credentials("v2-md5");
    const gw = createGateway({ ...creds, baseUrl: "http://minipay-no-such-host.invalid" }, { retries: 0 });
    const err = await failure(gw.queryOrder("ABCDEF123"));
    expect(err).toMatchObject({ failure: "network", detail: "dns" });
  });

  it("the cause carries no request config (client key, signed headers)", async () => {
    const creds = await sandbox.credentials("v2-hmac");
    const gw = createGateway(
      { ...creds, tlsBaseUrl: `https://127.0.0.1:${await closedPort()}` },
      { retries: 0 },
    );
    const err = await failure(gw.refund(REFUND));
    expect(err.detail).toBe("connection_refused");
    expect(JSON.stringify(err.cause, Object.getOwnPropertyNames(err.cause))).not.toContain("PRIVATE KEY");
    expect(Object.keys(err.cause as object)).toEqual(["code"]);
  });
});

describe("answers that do not verify", () => {
  it("v3: signed by another key → SignatureRejectedError (forged)", async () => {
    const creds = await sandbox.credentials("v3-public-key");
    const outTradeNo = `SIG${crypto.randomBytes(6).toString("hex")}`;
    await createGateway(creds, { retries: 0 }).prepay({
      kind: "native",
      outTradeNo,
      description: "sig",
      totalFen: 1,
      notifyUrl: "http://127.0.0.1:9/n",
      clientIp: "127.0.0.1",
      timeExpire: new Date(Date.now() + 600_000),
    });
    const otherKey = crypto
      .generateKeyPairSync("rsa", { modulusLength: 2048 })
      .publicKey.export({ type: "spki", format: "pem" }) as string;
    const gw = createGateway({ ...creds, v3: { ...creds.v3!, publicKeyPem: otherKey } }, { retries: 0 });
    const err = await failure(gw.queryOrder(outTradeNo));
    expect(err).toBeInstanceOf(SignatureRejectedError);
    expect(err).toMatchObject({ failure: "forged", reason: "bad_signature", step: "order query" });
  });

  it("v2: a SUCCESS answer signed with another key → SignatureRejectedError (forged)", async () => {
    const creds = await sandbox.credentials("v2-md5");
    const fields = v2Success(creds, { trade_state: "SUCCESS" });
    const body = signedV2Xml(fields, "not-the-merchant-key", "MD5");
    await withServer(
      (_req, res) => res.end(body),
      async (baseUrl) => {
        const gw = createGateway({ ...creds, baseUrl }, { retries: 0 });
        const err = await failure(gw.queryOrder("ABCDEF123"));
        expect(err).toBeInstanceOf(SignatureRejectedError);
        expect(err).toMatchObject({ failure: "forged", reason: "bad_signature", step: "orderquery" });
      },
    );
  });
});

describe("retries", () => {
  it("a refund query is retried after a transient failure, like every query", async () => {
    const creds = await sandbox.credentials("v2-md5");
    const fields = v2Success(creds, {
      total_fee: "300",
      refund_count: "1",
      out_refund_no_0: "R-1",
      refund_id_0: "50000000000000000000000000001",
      refund_fee_0: "100",
      refund_status_0: "SUCCESS",
      refund_success_time_0: "2026-11-25 10:05:00",
    });
    const body = signedV2Xml(fields, creds.v2!.key, "MD5");
    let calls = 0;
    await withServer(
      (_req, res) => {
        calls++;
        if (calls === 1) {
          res.writeHead(503);
          res.end();
        } else res.end(body);
      },
      async (baseUrl) => {
        const gw = createGateway({ ...creds, baseUrl }, { retries: 1 });
        const r = await gw.queryRefund("R-1");
        expect(calls).toBe(2);
        expect(r).toMatchObject({ outRefundNo: "R-1", status: "SUCCESS", refundFen: 100, totalFen: 300 });
        expect(r?.successTime?.toISOString()).toBe("2026-11-25T02:05:00.000Z");
      },
    );
  });
});
