/**
 * APIv3 notifies: verify the signature over the raw bytes first, then read the envelope, decrypt
 * the resource with the APIv3 key, and only then check what it states.
 */
import { z } from "zod";
import { NotifyRejectedError } from "../errors";
import type { NotifyCodec, ParsedNotify } from "../ports";
import type { InboundNotify, NotifyAck, RefundFacts, TradeFacts } from "../types";
import { EncryptedResource, type V3Client } from "./client";
import { refundFactsFromV3 } from "./refunds";
import { tradeFactsFromV3 } from "./transactions";
import { verifyWechatSignature } from "./verify";

const Envelope = z.object({ resource: EncryptedResource });
// Built once: zod compiles a schema on its first parse, which per notify cost more than the RSA check.
const PaymentWho = z.object({ appid: z.unknown(), mchid: z.unknown() });
const RefundWho = z.object({ mchid: z.unknown() });

/** The only v3 signature type we can verify; the header is optional (older notifies lack it). */
const SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048";

export class V3NotifyCodec implements NotifyCodec {
  constructor(private readonly c: V3Client) {}

  /** Verify, then decrypt the resource; returns the decrypted JSON (not yet checked). */
  private async open(n: InboundNotify, originalType: "transaction" | "refund"): Promise<unknown> {
    // Certificate mode without configured certificates needs them to know the serial; a failed
    // download propagates (the caller answers a failure and WeChat retries later).
    await this.c.ensureCertificates();
    const declared = n.headers["wechatpay-signature-type"];
    if (declared !== undefined && declared !== SIGNATURE_TYPE)
      throw new NotifyRejectedError("malformed", "unsupported Wechatpay-Signature-Type");
    verifyWechatSignature(this.c.verifier, n.headers, n.rawBody, this.c.opts.clock());
    let env: z.infer<typeof Envelope>;
    try {
      env = Envelope.parse(JSON.parse(n.rawBody.toString("utf8")));
    } catch {
      throw new NotifyRejectedError("malformed", "no encrypted resource");
    }
    if (env.resource.original_type && env.resource.original_type !== originalType)
      throw new NotifyRejectedError("malformed", "unexpected resource type");
    let plain: string;
    try {
      plain = this.c.decrypt(env.resource);
    } catch {
      throw new NotifyRejectedError("decrypt_failed");
    }
    try {
      return JSON.parse(plain);
    } catch {
      throw new NotifyRejectedError("malformed", "resource is not JSON");
    }
  }

  async parsePaymentNotify(n: InboundNotify): Promise<ParsedNotify<TradeFacts>> {
    const raw = await this.open(n, "transaction");
    const who = PaymentWho.safeParse(raw);
    if (!who.success || who.data.appid !== this.c.appid || who.data.mchid !== this.c.mchid)
      throw new NotifyRejectedError("wrong_merchant");
    return { facts: tradeFactsFromV3(raw), signType: SIGNATURE_TYPE };
  }

  async parseRefundNotify(n: InboundNotify): Promise<ParsedNotify<RefundFacts>> {
    const raw = await this.open(n, "refund");
    const who = RefundWho.safeParse(raw);
    if (!who.success || who.data.mchid !== this.c.mchid) throw new NotifyRejectedError("wrong_merchant");
    return { facts: refundFactsFromV3(raw), signType: SIGNATURE_TYPE };
  }

  notifyAck(accepted: boolean, message?: string): NotifyAck {
    if (accepted) return { status: 204, contentType: "application/json", body: "" };
    return {
      status: 500,
      contentType: "application/json",
      body: JSON.stringify({ code: "FAIL", message: (message ?? "FAIL").slice(0, 64) }),
    };
  }
}
