/**
 * Hostile bodies on the v2 notify endpoint (XXE, malformed XML, forged sign, another merchant's
 * notify): each a 4xx, and no stored order changes.
 */
import crypto from "node:crypto";
import { useSandbox, useStack } from "../helpers/sandbox-stack";

const sandbox = useSandbox();

describe("hostile bodies on the v2 notify endpoint", () => {
  const stack = useStack(sandbox, "v2-md5");

  const post = (body: string, path = "/notify/wechat/v2/pay") =>
    fetch(`${stack.h.url}${path}`, { method: "POST", headers: { "content-type": "text/xml" }, body }).then(
      async (r) => ({
        status: r.status,
        text: await r.text(),
      }),
    );
  const sign = (fields: Record<string, string>, key: string) => {
    const s =
      Object.keys(fields)
        .filter((k) => fields[k] !== "")
        .sort()
        .map((k) => `${k}=${fields[k]}`)
        .join("&") + `&key=${key}`;
    return crypto.createHash("md5").update(s).digest("hex").toUpperCase();
  };
  const xml = (f: Record<string, string>) =>
    `<xml>${Object.entries(f)
      .map(([k, v]) => `<${k}><![CDATA[${v}]]></${k}>`)
      .join("")}</xml>`;

  it("refuses XXE, malformed XML, a forged sign and another merchant's notify; no order changes", async () => {
    const { token } = await stack.login();
    const o = await stack.order(token, "mooncake", 1);
    await stack.api("POST", `/api/v1/orders/${o.body.id}/payments`, { token, body: { method: "jsapi" } });
    const c = stack.merchant.credentials;
    const genuine = {
      return_code: "SUCCESS",
      result_code: "SUCCESS",
      appid: c.appid,
      mch_id: c.mchid,
      nonce_str: "n1",
      out_trade_no: o.body.outTradeNo,
      total_fee: String(o.body.totalFen),
      transaction_id: "4200000000000000000000000001",
      time_end: "20261124120000",
    };
    const xxe = await post(
      `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><a>&x;</a></xml>`,
    );
    expect(xxe.status).toBe(400);
    expect(xxe.text).toContain("<return_code><![CDATA[FAIL]]></return_code>");
    expect(xxe.text).not.toContain("root:");
    expect((await post("<xml><a>1</xml>")).status).toBe(400);
    const forged = await post(xml({ ...genuine, sign: sign(genuine, "not-the-merchant-key-0000000000") }));
    expect(forged.status).toBe(401);
    const otherMerchant = { ...genuine, mch_id: "1900009999" };
    expect((await post(xml({ ...otherMerchant, sign: sign(otherMerchant, c.v2!.key) }))).status).toBe(401);
    expect((await post("{}", "/notify/wechat/v3/pay")).status).toBe(404); // a v2 merchant has no v3 endpoint
    const after = await stack.api("GET", `/api/v1/orders/${o.body.id}`, { token });
    expect(after.body.state).toBe("paying");
    const reasons = await stack.h.ds.query(
      `SELECT reason FROM notify_log WHERE outcome = 'rejected' ORDER BY id`,
    );
    expect(reasons.map((r: any) => r.reason)).toEqual([
      "malformed",
      "malformed",
      "bad_signature",
      "wrong_merchant",
      "wrong_api_version",
    ]);
    // And the genuine one, signed with the merchant's key, is applied.
    const ok = await post(xml({ ...genuine, sign: sign(genuine, c.v2!.key) }));
    expect(ok.status).toBe(200);
    expect(ok.text).toContain("<return_code><![CDATA[SUCCESS]]></return_code>");
    expect((await stack.api("GET", `/api/v1/orders/${o.body.id}`, { token })).body.state).toBe("paid");
  });
});
