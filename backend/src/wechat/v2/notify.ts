/**
 * APIv2 notifies. Payment notifies carry a sign over the fields; refund notifies carry none and are
 * authenticated by req_info decrypting under the merchant key. Facts are checked only after that.
 */
import { NotifyRejectedError } from "../errors";
import type { NotifyCodec, ParsedNotify } from "../ports";
import type { InboundNotify, NotifyAck, RefundFacts, TradeFacts } from "../types";
import type { V2Client } from "./client";
import { decryptReqInfo } from "./refund-notify";
import { refundFactsFromV2 } from "./refunds";
import { v2Verify, type V2SignType } from "./sign";
import { tradeFactsFromV2 } from "./transactions";
import { buildXml, flattenXml, MAX_XML_BYTES, parseXml, XmlRejected } from "./xml";

async function readXml(body: Buffer | string, n?: InboundNotify): Promise<Record<string, string>> {
  if (n?.xmlRefused) throw new NotifyRejectedError("malformed", n.xmlRefused);
  // Parsed upstream (koa-xml-body): the same cap as parseXml applies to what was sent.
  if (n?.parsedXml !== undefined && n.rawBody.length > MAX_XML_BYTES)
    throw new NotifyRejectedError("malformed", "xml rejected: too large");
  try {
    return n?.parsedXml !== undefined ? flattenXml(n.parsedXml) : await parseXml(body);
  } catch (err) {
    throw new NotifyRejectedError("malformed", err instanceof XmlRejected ? err.message : "unreadable");
  }
}

export class V2NotifyCodec implements NotifyCodec {
  private readonly accepted: V2SignType[];

  constructor(
    private readonly c: V2Client,
    acceptMd5Notify = false,
  ) {
    this.accepted = c.signType === "HMAC-SHA256" && acceptMd5Notify ? ["HMAC-SHA256", "MD5"] : [c.signType];
  }

  async parsePaymentNotify(n: InboundNotify): Promise<ParsedNotify<TradeFacts>> {
    const x = await readXml(n.rawBody, n);
    if (!x.sign) throw new NotifyRejectedError("bad_signature", "unsigned notify");
    // Only the merchant's own sign type, whatever sign_type the body declares; MD5 for an HMAC
    // merchant only when the merchant opted in (acceptMd5Notify).
    const signType = this.accepted.find((t) => v2Verify(x, this.c.key, t));
    if (!signType) throw new NotifyRejectedError("bad_signature");
    if (x.appid !== this.c.appid || x.mch_id !== this.c.mchid)
      throw new NotifyRejectedError("wrong_merchant");
    if (x.return_code !== "SUCCESS") throw new NotifyRejectedError("malformed", "not a success notify");
    const facts = tradeFactsFromV2(this.c, x, x.result_code === "SUCCESS" ? "SUCCESS" : "PAYERROR");
    return { facts, signType };
  }

  async parseRefundNotify(n: InboundNotify): Promise<ParsedNotify<RefundFacts>> {
    const x = await readXml(n.rawBody, n);
    if (x.appid !== this.c.appid || x.mch_id !== this.c.mchid)
      throw new NotifyRejectedError("wrong_merchant");
    if (!x.req_info) throw new NotifyRejectedError("malformed", "no req_info");
    let plain: string;
    try {
      plain = decryptReqInfo(x.req_info, this.c.key);
    } catch {
      throw new NotifyRejectedError("decrypt_failed");
    }
    // Genuine from here on: a readable plaintext proves the sender holds our key.
    const inner = await readXml(plain.replace(/^<root>/, "<xml>").replace(/<\/root>$/, "</xml>"));
    return { facts: refundFactsFromV2(inner), signType: "AES-256-ECB" };
  }

  notifyAck(accepted: boolean, message?: string): NotifyAck {
    const body = accepted
      ? buildXml({ return_code: "SUCCESS", return_msg: "OK" })
      : buildXml({ return_code: "FAIL", return_msg: (message ?? "FAIL").slice(0, 64) });
    return { status: accepted ? 200 : 400, contentType: "text/xml; charset=utf-8", body };
  }
}
