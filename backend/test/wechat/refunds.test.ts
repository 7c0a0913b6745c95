/**
 * Refunds through the real gateways against the sandbox: pay an order, refund part of it, query
 * the refund, and authenticate + decode the refund notify the sandbox sends.
 */
import crypto from "node:crypto";
import { createGateway } from "../../src/wechat/gateway-factory";
import type { PaymentGateway } from "../../src/wechat/types";
import {
  startNotifyInbox,
  startWechatSandbox,
  type MerchantName,
  type NotifyInbox,
  type TestSandbox,
} from "./sandbox";

let sandbox: TestSandbox;
let inbox: NotifyInbox;
beforeAll(async () => {
  sandbox = await startWechatSandbox();
  inbox = await startNotifyInbox();
});
afterAll(async () => {
  await inbox?.close();
  await sandbox?.close();
});

const OPENID = `o${"refundtester".padEnd(27, "0")}`;
const id = (prefix: string) => prefix + crypto.randomBytes(8).toString("hex");

/** A paid 3.00 CNY order; returns its out_trade_no. */
async function paidOrder(gw: PaymentGateway): Promise<string> {
  const outTradeNo = id("RF");
  const { prepayId } = await gw.prepay({
    kind: "jsapi",
    outTradeNo,
    description: "refund test",
    totalFen: 300,
    openid: OPENID,
    notifyUrl: `${inbox.url}/pay`,
    clientIp: "127.0.0.1",
    timeExpire: new Date(Date.now() + 30 * 60_000),
  });
  const paid = await sandbox.control("POST", "/__sandbox/pay", { prepay_id: prepayId, openid: OPENID });
  expect(paid.status).toBe(200);
  expect((await gw.queryOrder(outTradeNo))?.tradeState).toBe("SUCCESS");
  return outTradeNo;
}

describe.each<MerchantName>(["v2-hmac", "v3-platform-cert", "v3-public-key"])("refunds: %s", (name) => {
  let gw: PaymentGateway;
  beforeAll(async () => {
    gw = createGateway(await sandbox.credentials(name), { timeoutMs: 3000, retries: 0 });
  });

  it("refunds part of a paid order, queries it, and reads the refund notify", async () => {
    const outTradeNo = await paidOrder(gw);
    const outRefundNo = id("R");
    const accepted = await gw.refund({
      outTradeNo,
      outRefundNo,
      totalFen: 300,
      refundFen: 100,
      reason: "partial",
      notifyUrl: `${inbox.url}/refund/${outRefundNo}`,
    });
    expect(accepted).toMatchObject({ outTradeNo, outRefundNo, refundFen: 100, totalFen: 300 });
    expect(accepted.refundId).toMatch(/^\d+$/);

    const raw = await inbox.next(`/refund/${outRefundNo}`);
    const { facts: notified, signType } = await gw.parseRefundNotify(raw);
    expect(signType).toBe(name === "v2-hmac" ? "AES-256-ECB" : "WECHATPAY2-SHA256-RSA2048");
    expect(notified).toMatchObject({
      outTradeNo,
      outRefundNo,
      refundId: accepted.refundId,
      status: "SUCCESS",
      refundFen: 100,
      totalFen: 300,
    });
    expect(notified.successTime).toBeInstanceOf(Date);
    expect(Math.abs(notified.successTime!.getTime() - Date.now())).toBeLessThan(60_000);

    const queried = await gw.queryRefund(outRefundNo);
    expect(queried).toMatchObject({
      outTradeNo,
      outRefundNo,
      refundId: accepted.refundId,
      status: "SUCCESS",
      refundFen: 100,
    });

    // Same out_refund_no again: WeChat refunds it once, so the same refund comes back.
    const again = await gw.refund({
      outTradeNo,
      outRefundNo,
      totalFen: 300,
      refundFen: 100,
      notifyUrl: `${inbox.url}/refund`,
    });
    expect(again.refundId).toBe(accepted.refundId);
    expect((await gw.queryOrder(outTradeNo))?.tradeState).toBe("REFUND");
  });

  it("answers null for a refund WeChat does not know", async () => {
    expect(await gw.queryRefund(id("NOPE"))).toBeNull();
  });

  it("refuses a refund larger than what is left", async () => {
    const outTradeNo = await paidOrder(gw);
    await gw.refund({
      outTradeNo,
      outRefundNo: id("R"),
      totalFen: 300,
      refundFen: 200,
      notifyUrl: `${inbox.url}/refund`,
    });
    await expect(
      gw.refund({
        outTradeNo,
        outRefundNo: id("R"),
        totalFen: 300,
        refundFen: 200,
        notifyUrl: `${inbox.url}/refund`,
      }),
    ).rejects.toMatchObject({ failure: "business", wechatCode: "INVALID_REQUEST" });
  });
});
