/**
 * What authenticated notifies and signed answers may state. Every message here is built and signed
 * by this test with the sandbox's own crypto (never the backend's), so a mistake in the backend's
 * signing cannot hide one in its verification.
 */
import crypto from "node:crypto";
import { encryptReqInfo, toXml, type SignType } from "../../../sandbox/src/crypto/v2";
import { gcmEncrypt, responseSigningMessage, rsaSignB64 } from "../../../sandbox/src/crypto/v3";
import { NotifyFactsInvalidError, NotifyRejectedError } from "../../src/wechat/errors";
import { createGateway } from "../../src/wechat/gateway-factory";
import type {
  InboundNotify,
  MerchantCredentials,
  NotifySignType,
  ParsedNotify,
  TradeFacts,
} from "../../src/wechat/types";
import { rejectionOf, signedV2Xml, withServer } from "./stubs";

const wechat = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const WECHAT_KEY = wechat.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
const WECHAT_PUB = wechat.publicKey.export({ type: "spki", format: "pem" }) as string;
const KEY_ID = "PUB_KEY_ID_0114232134912410000000000000000000";
const APPID = "wx1234567890abcdef";
const MCHID = "1900000109";
const V2_KEY = "a".repeat(16) + "B".repeat(16);
const V3_KEY = "0123456789abcdefABCDEFGHIJKLMNOP";

const v3Creds = (baseUrl = "http://127.0.0.1:9"): MerchantCredentials => ({
  apiVersion: "v3",
  appid: APPID,
  mchid: MCHID,
  baseUrl,
  v3: {
    apiV3Key: V3_KEY,
    privateKeyPem: WECHAT_KEY, // any RSA key: these tests never check our request signatures
    certificateSerial: "ABC123",
    keyMode: "public_key",
    publicKeyId: KEY_ID,
    publicKeyPem: WECHAT_PUB,
  },
});
const v2Creds = (
  signType: SignType,
  acceptMd5Notify?: boolean,
  baseUrl = "http://127.0.0.1:9",
): MerchantCredentials => ({
  apiVersion: "v2",
  appid: APPID,
  mchid: MCHID,
  baseUrl,
  v2: { key: V2_KEY, signType, acceptMd5Notify },
});

function wechatHeaders(body: string): Record<string, string> {
  const ts = String(Math.floor(Date.now() / 1000));
  const nonce = crypto.randomBytes(16).toString("hex");
  return {
    "wechatpay-timestamp": ts,
    "wechatpay-nonce": nonce,
    "wechatpay-serial": KEY_ID,
    "wechatpay-signature": rsaSignB64(responseSigningMessage(ts, nonce, body), WECHAT_KEY),
    "wechatpay-signature-type": "WECHATPAY2-SHA256-RSA2048",
  };
}

function v3Notify(plain: unknown, type: "transaction" | "refund" = "transaction"): InboundNotify {
  const nonce = crypto.randomBytes(6).toString("hex");
  const body = JSON.stringify({
    id: crypto.randomUUID(),
    create_time: "2026-11-25T10:00:05+08:00",
    resource_type: "encrypt-resource",
    event_type: type === "transaction" ? "TRANSACTION.SUCCESS" : "REFUND.SUCCESS",
    resource: {
      original_type: type,
      algorithm: "AEAD_AES_256_GCM",
      ciphertext: gcmEncrypt(V3_KEY, nonce, type, JSON.stringify(plain)),
      associated_data: type,
      nonce,
    },
  });
  return { headers: wechatHeaders(body), rawBody: Buffer.from(body) };
}

const transaction = (over: Record<string, unknown> = {}) => ({
  appid: APPID,
  mchid: MCHID,
  out_trade_no: "MP20261125ABC",
  transaction_id: "4200000000202611250000000001",
  trade_type: "JSAPI",
  trade_state: "SUCCESS",
  trade_state_desc: "支付成功",
  success_time: "2026-11-25T10:00:00+08:00",
  payer: { openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" },
  amount: { total: 100, currency: "CNY", payer_total: 100, payer_currency: "CNY" },
  ...over,
});

const v2PayFields = (over: Record<string, string> = {}): Record<string, string> => ({
  return_code: "SUCCESS",
  appid: APPID,
  mch_id: MCHID,
  nonce_str: "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
  result_code: "SUCCESS",
  openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
  trade_type: "JSAPI",
  total_fee: "100",
  fee_type: "CNY",
  transaction_id: "4200000000202611250000000001",
  out_trade_no: "MP20261125ABC",
  time_end: "20261125100000",
  ...over,
});

function v2Notify(fields: Record<string, string>, type: SignType): InboundNotify {
  return { headers: { "content-type": "text/xml" }, rawBody: Buffer.from(signedV2Xml(fields, V2_KEY, type)) };
}

function v2RefundNotify(over: Record<string, string> = {}): InboundNotify {
  const inner = Object.entries({
    transaction_id: "4200000000202611250000000001",
    out_trade_no: "MP20261125ABC",
    refund_id: "50000000382019052709732678859",
    out_refund_no: "RF20261125A",
    total_fee: "100",
    refund_fee: "40",
    refund_status: "SUCCESS",
    success_time: "2026-11-25 10:05:00",
    ...over,
  })
    .map(([k, v]) => `<${k}><![CDATA[${v}]]></${k}>`)
    .join("");
  const xml = toXml({
    return_code: "SUCCESS",
    appid: APPID,
    mch_id: MCHID,
    nonce_str: "x1",
    req_info: encryptReqInfo(`<root>${inner}</root>`, V2_KEY),
  });
  return { headers: {}, rawBody: Buffer.from(xml) };
}

/** transaction() and v2PayFields() state the same payment; both versions must read it alike. */
async function expectTheFixturePayment(parsed: Promise<ParsedNotify<TradeFacts>>, signType: NotifySignType) {
  const { facts, signType: got } = await parsed;
  expect(got).toBe(signType);
  expect(facts).toMatchObject({ outTradeNo: "MP20261125ABC", tradeState: "SUCCESS", totalFen: 100 });
  expect(facts.successTime?.toISOString()).toBe("2026-11-25T02:00:00.000Z");
}

const factsError = (p: Promise<unknown>) => rejectionOf(p, NotifyFactsInvalidError);

/** One test per case: a message with `over` changed is refused, naming the reason and field. */
function refusesEach<T>(
  cases: [name: string, over: T, reason: string, field: string][],
  parse: (over: T) => Promise<unknown>,
) {
  it.each(cases)("%s → NotifyFactsInvalidError", async (_name, over, reason, field) => {
    const err = await factsError(parse(over));
    expect(err).toMatchObject({ reason, field });
  });
}

describe("v3 payment notify facts", () => {
  const gw = createGateway(v3Creds());

  it("accepts a well-formed notify and says how it was signed", () =>
    expectTheFixturePayment(gw.parsePaymentNotify(v3Notify(transaction())), "WECHATPAY2-SHA256-RSA2048"));

  refusesEach<Record<string, unknown>>(
    [
      ["out_trade_no with NUL", { out_trade_no: "MP2026\u0000ABC" }, "control_character", "out_trade_no"],
      ["success_time not a date", { success_time: "not a date" }, "not_a_date", "success_time"],
      [
        "success_time 30 February",
        { success_time: "2026-02-30T10:00:00+08:00" },
        "not_a_date",
        "success_time",
      ],
      ["out_trade_no too short", { out_trade_no: "AB12" }, "format", "out_trade_no"],
      ["out_trade_no with a slash", { out_trade_no: "MP2026/ABCDE" }, "format", "out_trade_no"],
      ["transaction_id not digits", { transaction_id: "42000000x1" }, "format", "transaction_id"],
      ["transaction_id too long", { transaction_id: "4".repeat(33) }, "format", "transaction_id"],
      ["negative amount", { amount: { total: -1, currency: "CNY" } }, "amount", "amount.total"],
      ["fractional amount", { amount: { total: 1.5, currency: "CNY" } }, "amount", "amount.total"],
      ["unsafe amount", { amount: { total: 2 ** 53, currency: "CNY" } }, "amount", "amount.total"],
      ["amount as a string", { amount: { total: "100", currency: "CNY" } }, "format", "amount.total"],
      ["odd currency", { amount: { total: 100, currency: "cny" } }, "format", "amount.currency"],
      ["unknown trade_state", { trade_state: "PAID" }, "unknown_value", "trade_state"],
      ["missing out_trade_no", { out_trade_no: undefined }, "missing", "out_trade_no"],
      ["control character in an ignored field", { attach: "a\u0007b" }, "control_character", "attach"],
    ],
    (over) => gw.parsePaymentNotify(v3Notify(transaction(over))),
  );

  it("authentication comes first: a bad signature over bad facts is NotifyRejectedError", async () => {
    const n = v3Notify(transaction({ success_time: "not a date" }));
    n.headers["wechatpay-signature"] = rsaSignB64("something else", WECHAT_KEY);
    await expect(gw.parsePaymentNotify(n)).rejects.toMatchObject({ reason: "bad_signature" });
    await expect(gw.parsePaymentNotify(n)).rejects.toBeInstanceOf(NotifyRejectedError);
  });

  it("refuses a signature type it cannot verify", async () => {
    const n = v3Notify(transaction());
    n.headers["wechatpay-signature-type"] = "SM2-WITH-SM3";
    await expect(gw.parsePaymentNotify(n)).rejects.toMatchObject({
      name: "NotifyRejectedError",
      reason: "malformed",
    });
  });

  it("another merchant's notify stays an authentication failure", async () => {
    await expect(gw.parsePaymentNotify(v3Notify(transaction({ mchid: "1900000999" })))).rejects.toMatchObject(
      {
        name: "NotifyRejectedError",
        reason: "wrong_merchant",
      },
    );
  });
});

describe("v3 refund notify facts", () => {
  const gw = createGateway(v3Creds());
  const refund = (over: Record<string, unknown> = {}) => ({
    mchid: MCHID,
    transaction_id: "4200000000202611250000000001",
    out_trade_no: "MP20261125ABC",
    refund_id: "50000000382019052709732678859",
    out_refund_no: "RF20261125A",
    refund_status: "SUCCESS",
    success_time: "2026-11-25T10:05:00+08:00",
    amount: { total: 100, refund: 40, payer_total: 100, payer_refund: 40 },
    ...over,
  });

  it("accepts a well-formed refund notify", async () => {
    const { facts } = await gw.parseRefundNotify(v3Notify(refund(), "refund"));
    expect(facts).toMatchObject({
      outRefundNo: "RF20261125A",
      status: "SUCCESS",
      refundFen: 40,
      totalFen: 100,
    });
  });

  refusesEach<Record<string, unknown>>(
    [
      [
        "out_refund_no with a newline",
        { out_refund_no: "RF2026\n1125" },
        "control_character",
        "out_refund_no",
      ],
      ["unknown refund_status", { refund_status: "DONE" }, "unknown_value", "refund_status"],
      ["negative refund", { amount: { total: 100, refund: -40 } }, "amount", "amount.refund"],
      [
        "success_time not a date",
        { success_time: "2026-13-01T00:00:00+08:00" },
        "not_a_date",
        "success_time",
      ],
    ],
    (over) => gw.parseRefundNotify(v3Notify(refund(over), "refund")),
  );
});

describe("v2 payment notify facts", () => {
  const gw = createGateway(v2Creds("MD5"));

  it("accepts a well-formed notify", () =>
    expectTheFixturePayment(gw.parsePaymentNotify(v2Notify(v2PayFields(), "MD5")), "MD5"));

  refusesEach<Record<string, string>>(
    [
      ["time_end=99999999999999", { time_end: "99999999999999" }, "not_a_date", "time_end"],
      ["time_end on 31 April", { time_end: "20260431120000" }, "not_a_date", "time_end"],
      ["time_end at 24:00", { time_end: "20261125240000" }, "not_a_date", "time_end"],
      ["out_trade_no with NUL", { out_trade_no: "MP2026\u0000ABC" }, "control_character", "out_trade_no"],
      ["out_trade_no of 33 chars", { out_trade_no: "M".repeat(33) }, "format", "out_trade_no"],
      ["total_fee not an integer", { total_fee: "1e3" }, "amount", "total_fee"],
      ["total_fee negative", { total_fee: "-5" }, "amount", "total_fee"],
      ["transaction_id not digits", { transaction_id: "42000abc" }, "format", "transaction_id"],
      ["odd fee_type", { fee_type: "C N" }, "format", "fee_type"],
    ],
    (over) => gw.parsePaymentNotify(v2Notify(v2PayFields(over), "MD5")),
  );
});

describe("v2 refund notify facts", () => {
  const gw = createGateway(v2Creds("HMAC-SHA256"));

  it("accepts a well-formed refund notify, authenticated by decryption", async () => {
    const { facts, signType } = await gw.parseRefundNotify(v2RefundNotify());
    expect(signType).toBe("AES-256-ECB");
    expect(facts).toMatchObject({ outRefundNo: "RF20261125A", status: "SUCCESS", refundFen: 40 });
    expect(facts.successTime?.toISOString()).toBe("2026-11-25T02:05:00.000Z");
  });

  it("maps REFUNDCLOSE to CLOSED", async () => {
    const { facts } = await gw.parseRefundNotify(v2RefundNotify({ refund_status: "REFUNDCLOSE" }));
    expect(facts.status).toBe("CLOSED");
  });

  refusesEach<Record<string, string>>(
    [
      ["success_time not a date", { success_time: "2026-11-25 25:00:00" }, "not_a_date", "success_time"],
      ["unknown refund_status", { refund_status: "DONE" }, "unknown_value", "refund_status"],
      ["refund_fee not digits", { refund_fee: "4O" }, "amount", "refund_fee"],
    ],
    (over) => gw.parseRefundNotify(v2RefundNotify(over)),
  );
});

describe("v2 sign type strictness", () => {
  it("an HMAC-SHA256 merchant refuses MD5-signed notifies by default", async () => {
    const gw = createGateway(v2Creds("HMAC-SHA256"));
    const fields = v2PayFields({ sign_type: "MD5" });
    await expect(gw.parsePaymentNotify(v2Notify(fields, "MD5"))).rejects.toMatchObject({
      name: "NotifyRejectedError",
      reason: "bad_signature",
    });
    const { signType } = await gw.parsePaymentNotify(
      v2Notify(v2PayFields({ sign_type: "HMAC-SHA256" }), "HMAC-SHA256"),
    );
    expect(signType).toBe("HMAC-SHA256");
  });

  it("acceptMd5Notify lets an HMAC-SHA256 merchant take MD5 notifies, and says so", async () => {
    const gw = createGateway(v2Creds("HMAC-SHA256", true));
    const { signType } = await gw.parsePaymentNotify(v2Notify(v2PayFields(), "MD5"));
    expect(signType).toBe("MD5");
  });

  it("an MD5 merchant refuses HMAC-SHA256-signed notifies", async () => {
    const gw = createGateway(v2Creds("MD5"));
    const fields = v2PayFields({ sign_type: "HMAC-SHA256" });
    await expect(gw.parsePaymentNotify(v2Notify(fields, "HMAC-SHA256"))).rejects.toMatchObject({
      reason: "bad_signature",
    });
  });

  it("the declared sign_type does not widen what is accepted", async () => {
    const gw = createGateway(v2Creds("HMAC-SHA256"));
    // Declares HMAC but is signed MD5 (sign_type is part of what is signed).
    const fields = v2PayFields({ sign_type: "HMAC-SHA256" });
    await expect(gw.parsePaymentNotify(v2Notify(fields, "MD5"))).rejects.toMatchObject({
      reason: "bad_signature",
    });
  });
});

describe("signed query answers are checked too", () => {
  it("v3 order query with an impossible success_time", async () => {
    const payload = JSON.stringify(transaction({ success_time: "2026-11-25T10:00:00+25:00" }));
    await withServer(
      (_req, res) => {
        res.writeHead(200, { "content-type": "application/json", ...wechatHeaders(payload) });
        res.end(payload);
      },
      async (url) => {
        const err = await factsError(createGateway(v3Creds(url), { retries: 0 }).queryOrder("MP20261125ABC"));
        expect(err).toMatchObject({ reason: "not_a_date", field: "success_time" });
      },
    );
  });

  it("v2 order query with an unknown trade_state", async () => {
    const xml = signedV2Xml({ ...v2PayFields(), trade_state: "MAYBE" }, V2_KEY, "MD5");
    await withServer(
      (_req, res) => {
        res.writeHead(200, { "content-type": "text/xml" });
        res.end(xml);
      },
      async (url) => {
        const err = await factsError(
          createGateway(v2Creds("MD5", false, url), { retries: 0 }).queryOrder("MP20261125ABC"),
        );
        expect(err).toMatchObject({ reason: "unknown_value", field: "trade_state" });
      },
    );
  });
});
