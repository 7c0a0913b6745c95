/**
 * The shapes the services see from WeChat, normalised so they never meet v2 XML or v3 JSON. The
 * gateway roles are in ports.ts; implementations live in auth/, v2/ and v3/, and
 * gateway-factory.ts picks one per merchant.
 */
export type {
  NotifyCodec,
  NotifySignType,
  ParsedNotify,
  PaymentGateway,
  PaymentOrders,
  Refunds,
  TradeBill,
  TradeBills,
} from "./ports";

export type Clock = () => Date;

/** WeChat trade_state values (v2 and v3 share them). */
export type TradeState =
  "SUCCESS" | "REFUND" | "NOTPAY" | "CLOSED" | "REVOKED" | "USERPAYING" | "PAYERROR" | "ACCEPT";

/** WeChat's account of one payment order: from a verified notify or from our own query. */
export interface TradeFacts {
  appid: string;
  mchid: string;
  outTradeNo: string;
  transactionId: string | null;
  tradeState: TradeState;
  /** Amount in fen as WeChat states it; null when WeChat did not state one (e.g. v2 NOTPAY). */
  totalFen: number | null;
  currency: string | null;
  payerOpenid: string | null;
  successTime: Date | null;
  tradeStateDesc: string | null;
}

export type RefundStatus = "SUCCESS" | "PROCESSING" | "CLOSED" | "ABNORMAL" | "CHANGE";

export interface RefundFacts {
  outTradeNo: string;
  outRefundNo: string;
  refundId: string | null;
  status: RefundStatus;
  refundFen: number;
  totalFen: number;
  successTime: Date | null;
}

export interface PrepayRequest {
  kind: "jsapi" | "native";
  outTradeNo: string;
  description: string;
  totalFen: number;
  /** Required for jsapi. */
  openid?: string;
  notifyUrl: string;
  clientIp: string;
  timeExpire: Date;
  /** v2 NATIVE needs a product_id. */
  productId?: string;
}

export interface PrepayResult {
  prepayId: string | null;
  codeUrl: string | null;
}

export interface RefundRequest {
  outTradeNo: string;
  outRefundNo: string;
  totalFen: number;
  refundFen: number;
  reason?: string;
  notifyUrl: string;
}

export type CloseResult = "closed" | "already_paid" | "already_closed";

/** What an HTTP notify handler received, untouched: signatures are over the raw bytes. */
export interface InboundNotify {
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  /** v2: the body as the HTTP layer's XML reader parsed it (still checked by the codec). */
  parsedXml?: unknown;
  /** v2: why the HTTP layer's XML reader refused the body (DOCTYPE, malformed); answered as malformed. */
  xmlRefused?: string;
}

/** What to answer WeChat on a notify, exactly as its protocol version wants it. */
export interface NotifyAck {
  status: number;
  contentType: string;
  body: string;
}

export interface Code2SessionResult {
  openid: string;
  sessionKey: string;
  unionid: string | null;
}

export interface WechatAuth {
  readonly appid: string;
  code2Session(code: string): Promise<Code2SessionResult>;
}

/** Merchant credentials after decryption; what a gateway is built from. */
export interface MerchantCredentials {
  apiVersion: "v2" | "v3";
  appid: string;
  mchid: string;
  /** https://api.mch.weixin.qq.com for real WeChat, the sandbox URL locally. */
  baseUrl: string;
  /** v2 /secapi/* (client-certificate calls) base URL; defaults to baseUrl. */
  tlsBaseUrl?: string;
  v2?: {
    key: string;
    signType: "MD5" | "HMAC-SHA256";
    clientCertPem?: string;
    clientKeyPem?: string;
    /** CA to trust for tlsBaseUrl (the sandbox's self-signed CA); unset = system CAs. */
    caPem?: string;
    /**
     * Also accept MD5-signed payment notifies when signType is HMAC-SHA256. Off by default: we have
     * no WeChat documentation that it sends them, and accepting a weaker sign type than configured
     * is exactly what a downgrade needs.
     */
    acceptMd5Notify?: boolean;
  };
  v3?: {
    apiV3Key: string;
    privateKeyPem: string;
    /** Serial of the merchant API certificate (goes into Authorization). */
    certificateSerial: string;
    /** The merchant API certificate (apiclient_cert.pem), when known: lets `minipay doctor` match it
     * against the private key and serial without asking WeChat. Payments do not need it. */
    certificatePem?: string;
    keyMode: "platform_certificate" | "public_key";
    platformCertificates?: { serial: string; pem: string }[];
    publicKeyId?: string;
    publicKeyPem?: string;
  };
}
