/**
 * v2 downloadbill (docs/wechatpay-spec.md; WeChat's 下载对账单 page,
 * https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_6): a signed XML request whose
 * success answer is the bill text itself, unsigned; failures are unsigned XML with return_msg and
 * error_code. "No Bill Exist" (error_code 20002) means no trade that day: a valid empty day.
 */
import crypto from "node:crypto";
import { parseTradeBill } from "../bill-text";
import { WechatUpstreamError } from "../errors";
import type { TradeBill, TradeBills } from "../ports";
import type { V2Client } from "./client";
import { parseXml } from "./xml";

const STEP = "downloadbill";

export class V2Bills implements TradeBills {
  constructor(private readonly client: V2Client) {}

  async downloadTradeBill(day: string): Promise<TradeBill | null> {
    const res = await this.client.sendSigned(STEP, "/pay/downloadbill", {
      bill_date: day.replace(/-/g, ""),
      bill_type: "ALL",
    });
    if (res.status >= 500 || res.status < 200 || res.status >= 300)
      throw new WechatUpstreamError("http", STEP, null, res.status);
    // The two answers are told apart by their first character: XML is always a failure.
    if (res.body.trimStart().startsWith("<")) {
      let xml: Record<string, string>;
      try {
        xml = await parseXml(res.body);
      } catch (err) {
        throw new WechatUpstreamError("http", STEP, null, res.status, `${STEP}: unreadable response`, {
          cause: err,
        });
      }
      const msg = xml.return_msg ?? "";
      if (xml.error_code === "20002" || /^no bill exist$/i.test(msg.trim())) return null;
      // "Bill Creating", "SIGN ERROR", …: WeChat's words are the code (there is no other).
      throw new WechatUpstreamError("business", STEP, msg || xml.error_code || "FAIL", res.status);
    }
    return {
      ...parseTradeBill(res.body),
      sha1: crypto.createHash("sha1").update(res.body, "utf8").digest("hex"),
    };
  }
}
