/**
 * v3 trade bill: GET /v3/bill/tradebill (signed and verified like every call) names a short-lived
 * download_url and the hash of the bill; the file itself comes unsigned, so it is trusted only if
 * its hash matches (SHA-1 of the uncompressed text; we never ask for GZIP). WeChat's pages:
 * https://pay.weixin.qq.com/docs/merchant/apis/jsapi-payment/get-trade-bill.html and the bill
 * download page. NO_STATEMENT_EXIST means no trade that day: a valid empty day.
 */
import crypto from "node:crypto";
import { z } from "zod";
import { BillHashError, parseTradeBill } from "../bill-text";
import { isWechatCode } from "../common";
import { WechatUpstreamError } from "../errors";
import type { TradeBill, TradeBills } from "../ports";
import { parseSigned, type V3Client } from "./client";

const TradeBillAnswer = z.object({
  hash_type: z.string().min(1),
  hash_value: z.string().min(1),
  download_url: z.string().min(1),
});

const HASHES: Record<string, string> = { SHA1: "sha1" };

export class V3Bills implements TradeBills {
  constructor(private readonly client: V3Client) {}

  async downloadTradeBill(day: string): Promise<TradeBill | null> {
    let answer: z.infer<typeof TradeBillAnswer>;
    try {
      const res = await this.client.call(
        "tradebill",
        "GET",
        `/v3/bill/tradebill?bill_date=${encodeURIComponent(day)}&bill_type=ALL`,
        undefined,
        { retry: true },
      );
      answer = parseSigned(TradeBillAnswer, res.body, "tradebill", res.status);
    } catch (err) {
      if (isWechatCode(err, "NO_STATEMENT_EXIST")) return null;
      throw err;
    }
    const algorithm = HASHES[answer.hash_type.toUpperCase()];
    if (!algorithm)
      throw new WechatUpstreamError(
        "business",
        "tradebill",
        `UNKNOWN_HASH_TYPE`,
        200,
        `tradebill: hash_type ${answer.hash_type}`,
      );
    let url: URL;
    try {
      url = new URL(answer.download_url);
    } catch {
      throw new WechatUpstreamError(
        "business",
        "tradebill",
        "BAD_DOWNLOAD_URL",
        200,
        "tradebill: download_url is not a URL",
      );
    }
    // Signed with the merchant key and sent to our configured WeChat host only: the URL's own host
    // is not where our Authorization header goes.
    const file = await this.client.fetchBytes("billdownload", url.pathname + url.search);
    if (file.status !== 200) throw new WechatUpstreamError("http", "billdownload", null, file.status);
    const actual = crypto.createHash(algorithm).update(file.body).digest("hex");
    if (actual.toLowerCase() !== answer.hash_value.toLowerCase())
      throw new BillHashError(answer.hash_type, answer.hash_value.toLowerCase(), actual);
    const sha1 = crypto.createHash("sha1").update(file.body).digest("hex");
    return { ...parseTradeBill(file.body.toString("utf8")), sha1 };
  }
}
