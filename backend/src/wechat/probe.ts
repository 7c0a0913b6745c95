/**
 * Diagnostic calls for `minipay doctor`: a signed query of an order that cannot exist and, for
 * APIv3, the platform-certificate list. Unlike the gateways, nothing here throws on WeChat's
 * refusals: the answer comes back as facts (status, WeChat's code and message, the Date header,
 * whether the answer's signature verified) so the doctor can explain them in plain words.
 * Signing and verifying reuse the gateways' pure functions, so the doctor tests what payments use.
 */
import { X509Certificate } from "node:crypto";
import { z } from "zod";
import { epochSeconds } from "./common";
import { createHttp, send, type RawResponse } from "./transport/client";
import type { Clock, MerchantCredentials } from "./types";
import { nonceStr } from "./wire-format";
import { WechatUpstreamError } from "./errors";
import { v2Sign, v2Verify } from "./v2/sign";
import { buildXml, parseXml } from "./v2/xml";
import { aeadDecrypt } from "./v3/aead";
import { authorizationHeader } from "./v3/sign";
import {
  CombinedVerifier,
  PlatformCertificateVerifier,
  PublicKeyVerifier,
  signatureProblem,
  type Verifier,
} from "./v3/verify";

export interface ProbeAnswer {
  /** Why no HTTP answer came back (timeout, connection refused, ...), or null when one did. */
  unreachable: string | null;
  httpStatus: number | null;
  /** v3 `code`, or v2 `err_code` of a business-layer answer. */
  code: string | null;
  /** v3 `message`, v2 `return_msg` (communication layer) or `err_code_des`. */
  message: string | null;
  /** v2 only: true when the communication layer failed (return_code FAIL: unsigned, e.g. a sign error). */
  communicationFailure: boolean;
  /** WeChat's clock, from the answer's Date header. */
  serverDate: Date | null;
  /** "valid", the reason the answer's signature failed, or null when the answer carries none. */
  answerSignature:
    "valid" | "malformed" | "probe" | "unknown_serial" | "timestamp_skew" | "bad_signature" | null;
}

export interface CertificateListAnswer {
  unreachable: string | null;
  httpStatus: number | null;
  code: string | null;
  message: string | null;
  /** Certificates the APIv3 key decrypted, and how many it could not. */
  decrypted: number;
  undecryptable: number;
}

export interface CredentialProbe {
  /** APIv3: download the platform certificates and try to decrypt them with the APIv3 key. */
  certificateList(): Promise<CertificateListAnswer>;
  /** A signed query of an order number nobody used: harmless, and it tells whether WeChat accepts us. */
  queryMissingOrder(outTradeNo: string): Promise<ProbeAnswer>;
}

const V3Error = z.object({ code: z.string(), message: z.string().optional() });
const CertList = z.object({
  data: z.array(
    z.object({
      serial_no: z.string(),
      encrypt_certificate: z.object({
        ciphertext: z.string(),
        nonce: z.string(),
        associated_data: z.string().optional(),
      }),
    }),
  ),
});

function dateOf(res: RawResponse): Date | null {
  const d = res.headers["date"] ? new Date(res.headers["date"]) : null;
  return d && !Number.isNaN(d.getTime()) ? d : null;
}

function json(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return null;
  }
}

async function sendOrExplain(
  fn: () => Promise<RawResponse>,
): Promise<{ res: RawResponse } | { unreachable: string }> {
  try {
    return { res: await fn() };
  } catch (err) {
    if (err instanceof WechatUpstreamError)
      return {
        unreachable:
          err.message === "not sent" ? "not sent: the private key cannot sign" : (err.detail ?? err.failure),
      };
    throw err;
  }
}

const unreachableAnswer = (why: string): ProbeAnswer => ({
  unreachable: why,
  httpStatus: null,
  code: null,
  message: null,
  communicationFailure: false,
  serverDate: null,
  answerSignature: null,
});

function v3Probe(creds: MerchantCredentials, clock: Clock, timeoutMs: number): CredentialProbe {
  const v3 = creds.v3!;
  const http = createHttp({ baseUrl: creds.baseUrl, timeoutMs });
  // Unreadable keys are the doctor's local checks to report; here they are simply not trusted.
  const readable = <T>(make: () => T): T | null => {
    try {
      return make();
    } catch {
      return null;
    }
  };
  const certs = new PlatformCertificateVerifier([]);
  for (const c of v3.platformCertificates ?? []) readable(() => certs.add(c.pem, c.serial));
  const parts: Verifier[] = [certs];
  const pk =
    v3.publicKeyId && v3.publicKeyPem
      ? readable(() => new PublicKeyVerifier(v3.publicKeyId!, v3.publicKeyPem!))
      : null;
  if (pk) parts.unshift(pk);
  else if (v3.keyMode === "public_key") parts.unshift({ keyFor: () => null });
  // The same trust rule as the payment client (v3/client.ts): public-key mode trusts only the key.
  const verifier = v3.keyMode === "public_key" ? parts[0]! : new CombinedVerifier(parts);

  const sign = (p: Parameters<typeof authorizationHeader>[0]): string => {
    try {
      return authorizationHeader(p);
    } catch {
      throw new WechatUpstreamError("network", "doctor", null, null, "not sent", { detail: "other" });
    }
  };
  const signedGet = (step: string, url: string) =>
    sendOrExplain(() =>
      send(http, step, {
        method: "GET",
        url,
        headers: {
          Accept: "application/json",
          Authorization: sign({
            mchid: creds.mchid,
            serialNo: v3.certificateSerial,
            privateKeyPem: v3.privateKeyPem,
            method: "GET",
            canonicalUrl: url,
            body: "",
            timestamp: epochSeconds(clock),
            nonce: nonceStr(),
          }),
          ...(v3.keyMode === "public_key" && v3.publicKeyId ? { "Wechatpay-Serial": v3.publicKeyId } : {}),
        },
      }),
    );

  return {
    async certificateList() {
      const r = await signedGet("certificates", "/v3/certificates");
      if ("unreachable" in r)
        return {
          unreachable: r.unreachable,
          httpStatus: null,
          code: null,
          message: null,
          decrypted: 0,
          undecryptable: 0,
        };
      const { res } = r;
      const err = V3Error.safeParse(json(res.body));
      const list = CertList.safeParse(json(res.body));
      let decrypted = 0;
      let undecryptable = 0;
      if (res.status === 200 && list.success) {
        for (const c of list.data.data) {
          try {
            const pem = aeadDecrypt({
              key: v3.apiV3Key,
              nonce: c.encrypt_certificate.nonce,
              associatedData: c.encrypt_certificate.associated_data ?? "",
              ciphertext: c.encrypt_certificate.ciphertext,
            });
            new X509Certificate(pem);
            // Certificate mode without stored certificates trusts the downloaded ones, as payments do.
            if (v3.keyMode === "platform_certificate" && !v3.platformCertificates?.length)
              certs.add(pem, c.serial_no);
            decrypted++;
          } catch {
            undecryptable++;
          }
        }
      }
      return {
        unreachable: null,
        httpStatus: res.status,
        code: res.status === 200 ? null : (err.data?.code ?? null),
        message: res.status === 200 ? null : (err.data?.message ?? null),
        decrypted,
        undecryptable,
      };
    },

    async queryMissingOrder(outTradeNo) {
      const url = `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}?mchid=${encodeURIComponent(creds.mchid)}`;
      const r = await signedGet("doctor query", url);
      if ("unreachable" in r) return unreachableAnswer(r.unreachable);
      const { res } = r;
      const err = V3Error.safeParse(json(res.body));
      const problem = signatureProblem(verifier, res.headers, res.body, clock());
      return {
        unreachable: null,
        httpStatus: res.status,
        code: err.success ? err.data.code : null,
        message: err.success ? (err.data.message ?? null) : null,
        communicationFailure: false,
        serverDate: dateOf(res),
        answerSignature: problem ? problem.reason : "valid",
      };
    },
  };
}

function v2Probe(creds: MerchantCredentials, timeoutMs: number): CredentialProbe {
  const v2 = creds.v2!;
  const http = createHttp({ baseUrl: creds.baseUrl, timeoutMs });
  return {
    async certificateList() {
      throw new Error("APIv2 has no platform certificates");
    },
    async queryMissingOrder(outTradeNo) {
      const fields: Record<string, string> = {
        appid: creds.appid,
        mch_id: creds.mchid,
        out_trade_no: outTradeNo,
        nonce_str: nonceStr(),
        sign_type: v2.signType,
      };
      fields.sign = v2Sign(fields, v2.key, v2.signType);
      const r = await sendOrExplain(() =>
        send(http, "doctor query", {
          method: "POST",
          url: "/pay/orderquery",
          body: buildXml(fields),
          headers: { "Content-Type": "text/xml; charset=utf-8", Accept: "text/xml" },
        }),
      );
      if ("unreachable" in r) return unreachableAnswer(r.unreachable);
      const { res } = r;
      let xml: Record<string, string> | null;
      try {
        xml = await parseXml(res.body);
      } catch {
        xml = null;
      }
      const comm = xml?.return_code !== "SUCCESS";
      return {
        unreachable: null,
        httpStatus: res.status,
        code: !xml || comm ? null : xml.result_code === "SUCCESS" ? null : (xml.err_code ?? "FAIL"),
        message: !xml ? null : comm ? (xml.return_msg ?? null) : (xml.err_code_des ?? null),
        communicationFailure: comm,
        serverDate: dateOf(res),
        // Communication-layer failures come unsigned; only a SUCCESS layer carries a sign to check.
        answerSignature: !xml || comm ? null : v2Verify(xml, v2.key, v2.signType) ? "valid" : "bad_signature",
      };
    },
  };
}

export function createCredentialProbe(
  creds: MerchantCredentials,
  o: { clock?: Clock; timeoutMs?: number } = {},
): CredentialProbe {
  const clock = o.clock ?? (() => new Date());
  const timeoutMs = o.timeoutMs ?? 10_000;
  return creds.apiVersion === "v2" ? v2Probe(creds, timeoutMs) : v3Probe(creds, clock, timeoutMs);
}
