/**
 * `minipay doctor`: checks one merchant's stored WeChat configuration and says, per check, what is
 * wrong and what to do. Local checks first (key mode, key material, key lengths), then what WeChat
 * says to a harmless signed call (a query of an order nobody made), the clock against WeChat's Date
 * header, and whether the notify URL is https and answers. Formatting is the caller's (cli/).
 * WeChat's rules behind the checks: docs/wechatpay-spec.md.
 */
import crypto, { X509Certificate } from "node:crypto";
import type { CertificateListAnswer, CredentialProbe, ProbeAnswer } from "../wechat/probe";
import type { MerchantCredentials } from "../wechat/types";

export type CheckId =
  "key-mode" | "private-key" | "api-key" | "signed-call" | "answer-signature" | "clock" | "notify-url";

export interface DoctorCheck {
  id: CheckId;
  title: string;
  /** true passed, false failed, null could not be checked (says why). */
  ok: boolean | null;
  detail: string;
  /** What to do, when it failed. */
  fix?: string;
}

export interface DoctorReport {
  merchantId: string;
  merchantName: string;
  checks: DoctorCheck[];
  failed: number;
}

export interface DoctorPorts {
  probe(creds: MerchantCredentials): CredentialProbe;
  /** GET over https with the system's trusted CAs: the status, or why there was none. */
  reach(url: string): Promise<{ status: number } | { error: string }>;
  now(): Date;
}

export interface DoctorInput {
  merchantId: string;
  merchantName: string;
  credentials: MerchantCredentials;
  /** PUBLIC_BASE_URL as configured (null when unset). */
  publicBaseUrl: string | null;
  /** The pay notify URL this backend gives WeChat for the merchant. */
  notifyUrl: string;
}

/** More than this between our clock and WeChat's is reported; WeChat refuses signatures 5 min off. */
export const CLOCK_WARN_SECONDS = 60;
/** APIv3 and APIv2 keys are 32 characters, set by the merchant in the merchant platform. */
const KEY_BYTES = 32;
const NOT_FOUND_CODES = ["ORDER_NOT_EXIST", "ORDERNOTEXIST"];
const WHERE_KEYS = "merchant platform (pay.weixin.qq.com) → 账户中心 → API安全";

function check(id: CheckId, title: string, ok: boolean | null, detail: string, fix?: string): DoctorCheck {
  return ok === false ? { id, title, ok, detail, fix } : { id, title, ok, detail };
}

function keyMode(c: MerchantCredentials): DoctorCheck {
  const title = "key mode";
  if (c.apiVersion === "v2") {
    if (!c.v2)
      return check(
        "key-mode",
        title,
        false,
        "APIv2 merchant without APIv2 credentials",
        "configure the APIv2 key",
      );
    return check(
      "key-mode",
      title,
      true,
      `APIv2, ${c.v2.signType === "MD5" ? "MD5" : "HMAC-SHA256"} signatures`,
    );
  }
  const v3 = c.v3;
  if (!v3)
    return check(
      "key-mode",
      title,
      false,
      "APIv3 merchant without APIv3 credentials",
      "configure the APIv3 key, private key and certificate serial",
    );
  if (v3.keyMode === "public_key") {
    if (!v3.publicKeyId || !v3.publicKeyPem)
      return check(
        "key-mode",
        title,
        false,
        "APIv3 in public-key mode, but the WeChat Pay public key or its ID is missing",
        `download the WeChat Pay public key and its ID (PUB_KEY_ID_…) from the ${WHERE_KEYS}`,
      );
    try {
      crypto.createPublicKey(v3.publicKeyPem);
    } catch {
      return check(
        "key-mode",
        title,
        false,
        "APIv3 in public-key mode, but the WeChat Pay public key is not a readable PEM key",
        `download it again from the ${WHERE_KEYS}`,
      );
    }
    return check("key-mode", title, true, `APIv3 with the WeChat Pay public key ${v3.publicKeyId}`);
  }
  for (const cert of v3.platformCertificates ?? []) {
    try {
      new X509Certificate(cert.pem);
    } catch {
      return check(
        "key-mode",
        title,
        false,
        `APIv3 in platform-certificate mode, but platform certificate ${cert.serial} is not a readable PEM certificate`,
        "remove it: the backend downloads the platform certificates itself",
      );
    }
  }
  const n = v3.platformCertificates?.length ?? 0;
  return check(
    "key-mode",
    title,
    true,
    `APIv3 with platform certificates (${n ? `${n} stored` : "downloaded from WeChat"})`,
  );
}

/** APIv3: the private key reads and, when the merchant certificate is stored, matches it and its serial. */
function privateKey(c: MerchantCredentials): DoctorCheck {
  const title = "merchant private key";
  if (c.apiVersion === "v2") {
    const v2 = c.v2;
    if (!v2?.clientCertPem || !v2.clientKeyPem)
      return check("private-key", title, null, "no API client certificate stored (only refunds need it)");
    return matchPair(v2.clientKeyPem, v2.clientCertPem, null, "API client certificate (apiclient_cert.pem)");
  }
  const v3 = c.v3;
  if (!v3)
    return check(
      "private-key",
      title,
      false,
      "missing",
      "configure the merchant private key (apiclient_key.pem)",
    );
  if (!/^[0-9A-Fa-f]{8,40}$/.test(v3.certificateSerial))
    return check(
      "private-key",
      title,
      false,
      `certificate serial "${v3.certificateSerial}" is not a hexadecimal serial`,
      `copy the API certificate's serial from the ${WHERE_KEYS}`,
    );
  if (!v3.certificatePem) {
    try {
      crypto.createPrivateKey(v3.privateKeyPem);
    } catch {
      return check(
        "private-key",
        title,
        false,
        "the private key is not a readable PEM key",
        "use apiclient_key.pem from the certificate tool",
      );
    }
    return check(
      "private-key",
      title,
      true,
      `reads; no merchant certificate stored, so WeChat's answer below tells whether it matches serial ${v3.certificateSerial}`,
    );
  }
  return matchPair(v3.privateKeyPem, v3.certificatePem, v3.certificateSerial, "merchant API certificate");
}

function matchPair(keyPem: string, certPem: string, serial: string | null, what: string): DoctorCheck {
  const title = "merchant private key";
  let key: crypto.KeyObject;
  let cert: X509Certificate;
  try {
    key = crypto.createPrivateKey(keyPem);
  } catch {
    return check(
      "private-key",
      title,
      false,
      "the private key is not a readable PEM key",
      "use apiclient_key.pem from the certificate tool",
    );
  }
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return check(
      "private-key",
      title,
      false,
      `the ${what} is not a readable PEM certificate`,
      "use apiclient_cert.pem from the certificate tool",
    );
  }
  if (!cert.checkPrivateKey(key))
    return check(
      "private-key",
      title,
      false,
      `the private key does not belong to the ${what} (serial ${cert.serialNumber})`,
      "use the apiclient_key.pem made together with that certificate, or apply for a new certificate",
    );
  if (serial !== null && cert.serialNumber.toUpperCase() !== serial.toUpperCase())
    return check(
      "private-key",
      title,
      false,
      `configured serial ${serial} is not the certificate's serial ${cert.serialNumber}`,
      `set the certificate serial to ${cert.serialNumber}`,
    );
  return check("private-key", title, true, `matches the ${what}${serial ? ` and serial ${serial}` : ""}`);
}

function apiKey(c: MerchantCredentials, certs: CertificateListAnswer | null): DoctorCheck {
  const bytes = (s: string) => Buffer.byteLength(s, "utf8");
  if (c.apiVersion === "v2") {
    const n = bytes(c.v2?.key ?? "");
    if (n !== KEY_BYTES)
      return check(
        "api-key",
        "APIv2 key",
        false,
        `${n} bytes long; WeChat's APIv2 key is ${KEY_BYTES}`,
        `copy the APIv2 key exactly as set in the ${WHERE_KEYS}`,
      );
    return check(
      "api-key",
      "APIv2 key",
      true,
      `${KEY_BYTES} bytes (WeChat's answer below tells whether it is the right one)`,
    );
  }
  const title = "APIv3 key";
  const n = bytes(c.v3?.apiV3Key ?? "");
  if (n !== KEY_BYTES)
    return check(
      "api-key",
      title,
      false,
      `${n} bytes long; the APIv3 key must be exactly ${KEY_BYTES}`,
      `copy the APIv3 key exactly as set in the ${WHERE_KEYS} (or set a new one there)`,
    );
  if (!certs || certs.unreachable || certs.httpStatus !== 200)
    return check(
      "api-key",
      title,
      null,
      `${KEY_BYTES} bytes; could not check it against WeChat (the certificate list was not available${certs?.code ? `: ${certs.code}` : ""})`,
    );
  if (certs.undecryptable > 0)
    return check(
      "api-key",
      title,
      false,
      `${KEY_BYTES} bytes, but it does not decrypt WeChat's platform certificates: it is not this merchant's APIv3 key`,
      `copy the APIv3 key exactly as set in the ${WHERE_KEYS}; notifies cannot be read until it is right`,
    );
  if (certs.decrypted === 0)
    return check(
      "api-key",
      title,
      null,
      `${KEY_BYTES} bytes; WeChat listed no platform certificate to check it with`,
    );
  return check("api-key", title, true, `${KEY_BYTES} bytes, and it decrypts WeChat's platform certificates`);
}

function signedCall(c: MerchantCredentials, a: ProbeAnswer, skew: number | null): DoctorCheck {
  const title = "signed call to WeChat";
  if (a.unreachable)
    return check(
      "signed-call",
      title,
      false,
      `no answer from ${c.baseUrl} (${a.unreachable})`,
      "check the network path to WeChat Pay (proxy, firewall, DNS)",
    );
  if (a.code && NOT_FOUND_CODES.includes(a.code))
    return check(
      "signed-call",
      title,
      true,
      `WeChat accepted a signed query (answer ${a.code} for an order that does not exist)`,
    );
  const said = [a.code, a.message].filter(Boolean).join(" ") || `HTTP ${a.httpStatus}`;
  const clockHint =
    skew !== null && Math.abs(skew) > 300
      ? ` Your clock is ${Math.round(Math.abs(skew))} s off WeChat's: fix the clock first.`
      : "";
  let fix: string;
  if (c.apiVersion === "v2") {
    const m = a.message ?? "";
    // APPID_MCHID_NOT_MATCH names both: the appid test comes first.
    if (/APPID/i.test(m))
      fix = `the appid ${c.appid} is not bound to mchid ${c.mchid}: bind it in the merchant platform or fix the appid`;
    else if (/MCHID/i.test(m))
      fix = `the mchid ${c.mchid} is not an APIv2 merchant: check the merchant number`;
    else if (/签名|sign/i.test(m))
      fix = `the APIv2 key (or sign type ${c.v2?.signType}) is not the one set in the ${WHERE_KEYS}`;
    else fix = "see WeChat's message";
  } else if (a.code === "SIGN_ERROR" || a.httpStatus === 401) {
    fix = `WeChat refused our signature: check the mchid (${c.mchid}), the certificate serial and that the private key is this merchant's apiclient_key.pem`;
  } else fix = "see WeChat's message";
  return check("signed-call", title, false, `WeChat refused a signed query: ${said}`, fix + clockHint);
}

function answerSignature(c: MerchantCredentials, a: ProbeAnswer, callOk: boolean): DoctorCheck {
  const title = "WeChat's signature";
  if (!callOk || a.answerSignature === null)
    return check("answer-signature", title, null, "no accepted answer to check it on");
  if (a.answerSignature === "valid")
    return check(
      "answer-signature",
      title,
      true,
      c.apiVersion === "v2"
        ? "WeChat's answer is signed with our APIv2 key"
        : "WeChat's answer verifies with the configured WeChat key",
    );
  if (c.apiVersion === "v2")
    return check(
      "answer-signature",
      title,
      false,
      "WeChat's answer does not verify with our APIv2 key",
      "check the APIv2 key and sign type",
    );
  const v3 = c.v3!;
  const whose =
    v3.keyMode === "public_key" ? `WeChat Pay public key ${v3.publicKeyId}` : "platform certificates";
  const why: Record<string, string> = {
    unknown_serial: `it is signed with a key other than the ${whose}`,
    bad_signature: `its signature does not verify with the ${whose}`,
    timestamp_skew: "its timestamp is more than 5 minutes from our clock",
    malformed: "it carries no Wechatpay-* signature headers",
    probe: "it is a signature probe",
  };
  return check(
    "answer-signature",
    title,
    false,
    `WeChat's answer is refused: ${why[a.answerSignature] ?? a.answerSignature}; every payment answer and notify would be refused too`,
    v3.keyMode === "public_key"
      ? `download the WeChat Pay public key and its ID again from the ${WHERE_KEYS}`
      : "remove the stored platform certificates so they are downloaded, or store the current ones",
  );
}

function clock(a: ProbeAnswer, skew: number | null): DoctorCheck {
  const title = "clock";
  if (skew === null || !a.serverDate)
    return check(
      "clock",
      title,
      null,
      a.unreachable ? "no answer from WeChat to compare with" : "WeChat's answer had no Date header",
    );
  const s = Math.round(skew);
  const how =
    s === 0 ? "in step with WeChat's" : `${Math.abs(s)} s ${s > 0 ? "ahead of" : "behind"} WeChat's`;
  if (Math.abs(skew) > CLOCK_WARN_SECONDS)
    return check(
      "clock",
      title,
      false,
      `this machine's clock is ${how}`,
      "synchronise the clock (NTP): WeChat refuses signatures more than 5 minutes off, and so do we for notifies",
    );
  return check("clock", title, true, `${how} (Date header, 1 s resolution)`);
}

async function notifyUrl(i: DoctorInput, ports: DoctorPorts): Promise<DoctorCheck> {
  const title = "notify URL";
  if (!i.publicBaseUrl)
    return check(
      "notify-url",
      title,
      false,
      `PUBLIC_BASE_URL is not set, so WeChat would be told to call ${i.notifyUrl}`,
      "set PUBLIC_BASE_URL to this backend's public https address",
    );
  let u: URL;
  try {
    u = new URL(i.publicBaseUrl);
  } catch {
    return check(
      "notify-url",
      title,
      false,
      `PUBLIC_BASE_URL ${i.publicBaseUrl} is not a URL`,
      "set PUBLIC_BASE_URL to this backend's public https address",
    );
  }
  if (u.protocol !== "https:")
    return check(
      "notify-url",
      title,
      false,
      `${i.notifyUrl} is not https; WeChat only calls https notify URLs`,
      "serve the backend behind https and set PUBLIC_BASE_URL to that address",
    );
  const health = `${i.publicBaseUrl.replace(/\/$/, "")}/healthz`;
  const r = await ports.reach(health);
  if ("error" in r)
    return check(
      "notify-url",
      title,
      false,
      `${health} is not reachable over https (${r.error})`,
      "make the address public with a certificate from a trusted CA; WeChat's servers must reach it",
    );
  if (r.status !== 200)
    return check(
      "notify-url",
      title,
      false,
      `${health} answered HTTP ${r.status}, not this backend's 200`,
      "point PUBLIC_BASE_URL (and the proxy in front) at this backend",
    );
  return check("notify-url", title, true, `${i.notifyUrl} is https and ${health} answers 200`);
}

export async function runDoctor(i: DoctorInput, ports: DoctorPorts): Promise<DoctorReport> {
  const c = i.credentials;
  const checks: DoctorCheck[] = [keyMode(c), privateKey(c)];
  const probe = ports.probe(c);
  const certs = c.apiVersion === "v3" && c.v3 ? await probe.certificateList() : null;
  checks.push(apiKey(c, certs));
  // An order number no one uses: 32 characters WeChat accepts, never one of ours (those have no "DOCTOR").
  const no = `DOCTOR${crypto.randomBytes(13).toString("hex")}`;
  const sentAt = ports.now();
  const a = await probe.queryMissingOrder(no);
  const skew = a.serverDate ? (sentAt.getTime() - a.serverDate.getTime()) / 1000 : null;
  const call = signedCall(c, a, skew);
  checks.push(call, answerSignature(c, a, call.ok === true), clock(a, skew), await notifyUrl(i, ports));
  return {
    merchantId: i.merchantId,
    merchantName: i.merchantName,
    checks,
    failed: checks.filter((x) => x.ok === false).length,
  };
}
