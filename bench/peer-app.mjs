#!/usr/bin/env node
// The comparison servers for `npm run bench -- notify`, in their own process like a real app.
// - /bare/v2, /bare/v3: a bare Koa route that reads the same body and parses it (XML with xml2js
//   and the options Minipay uses, or JSON), and answers. No verification, no database: the ceiling.
// - /peer/v2, /peer/v3: a notify handler as users write it with a peer SDK: Koa, the body read as
//   text, tenpay's own Koa notify middleware (v2: parse, appid/mch_id, sign) or wechatpay-node-v3's
//   verifySign + decipher_gcm (v3), then one UPDATE of the order row. The platform key is put in the
//   SDK's certificate map by serial, the usual workaround for WeChat's public-key mode in that SDK.
// - /peer/prepay: create + prepay as users write it with tenpay (v2): one INSERT of the order row,
//   then tenpay's getPayParams (unifiedorder to the sandbox, its answer's signature checked, and the
//   requestPayment parameters signed). The price comes with the request: no catalogue, no stock,
//   no idempotency, no session; what Minipay does on top is what the ratio shows.
// Environment: PORT, DATABASE_URL, PEER_CONFIG (JSON: v2 {appid, mchid, key}, v3 {appid, mchid,
// apiV3Key, publicKeyPem, publicKeyId}, sandboxUrl).
import Koa from "koa";
import getRawBody from "raw-body";
import xml2js from "xml2js";
import pg from "pg";
import tenpay from "tenpay";
import WxPayModule from "wechatpay-node-v3";

const WxPay = WxPayModule.default ?? WxPayModule;
const cfg = JSON.parse(process.env.PEER_CONFIG);
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

const v2 = new tenpay({ appid: cfg.v2.appid, mchid: cfg.v2.mchid, partnerKey: cfg.v2.key });
const v2Middleware = v2.middleware("pay");
// tenpay only knows WeChat's hosts; its URL table is per instance, so point unifiedorder at the sandbox.
if (cfg.sandboxUrl) v2.urls.unifiedorder = `${cfg.sandboxUrl}/pay/unifiedorder`;
let prepaySeq = 0;
const v3 = new WxPay({
  appid: cfg.v3.appid,
  mchid: cfg.v3.mchid,
  publicKey: Buffer.from(cfg.v3.publicKeyPem),
  privateKey: Buffer.from("unused"),
  serial_no: "unused",
  key: cfg.v3.apiV3Key,
});
WxPay.certificates[cfg.v3.publicKeyId] = cfg.v3.publicKeyPem;

const markPaid = (outTradeNo, transactionId) =>
  pool.query(
    `UPDATE bench_peer_orders SET state = 'paid', transaction_id = $2, paid_at = now()
     WHERE out_trade_no = $1 AND state <> 'paid'`,
    [outTradeNo, transactionId],
  );

const app = new Koa();
app.use(async (ctx, next) => {
  if (ctx.method !== "POST") return next();
  ctx.request.body = await getRawBody(ctx.req, { limit: 64 * 1024, encoding: "utf8" });
  return next();
});
app.use(async (ctx, next) => {
  switch (ctx.path) {
    case "/bare/v2": {
      const x = await xml2js.parseStringPromise(ctx.request.body, {
        explicitArray: false,
        explicitRoot: false,
        trim: true,
      });
      ctx.type = "text/xml";
      ctx.body = x && x.return_code ? "<xml><return_code>SUCCESS</return_code></xml>" : "<xml/>";
      return;
    }
    case "/bare/v3": {
      const j = JSON.parse(ctx.request.body);
      ctx.status = j && j.resource ? 204 : 400;
      return;
    }
    case "/peer/v2":
      return v2Middleware(ctx, async () => {
        const w = ctx.request.weixin;
        await markPaid(w.out_trade_no, w.transaction_id);
        ctx.reply();
      });
    case "/peer/v3": {
      const ok = await v3.verifySign({
        timestamp: ctx.get("wechatpay-timestamp"),
        nonce: ctx.get("wechatpay-nonce"),
        serial: ctx.get("wechatpay-serial"),
        signature: ctx.get("wechatpay-signature"),
        body: ctx.request.body,
      });
      if (!ok) {
        ctx.status = 401;
        return;
      }
      const { resource } = JSON.parse(ctx.request.body);
      const t = v3.decipher_gcm(resource.ciphertext, resource.associated_data, resource.nonce);
      await markPaid(t.out_trade_no, t.transaction_id);
      ctx.status = 204;
      return;
    }
    case "/peer/prepay": {
      const { openid } = JSON.parse(ctx.request.body);
      const outTradeNo = `PP${process.pid}${String(++prepaySeq).padStart(10, "0")}`;
      await pool.query(
        `INSERT INTO bench_peer_prepay (out_trade_no, openid, total_fen, state) VALUES ($1, $2, 100, 'created')`,
        [outTradeNo, openid],
      );
      const params = await v2.getPayParams({
        out_trade_no: outTradeNo,
        body: "tea",
        total_fee: 100,
        openid,
        trade_type: "JSAPI",
        sign_type: "HMAC-SHA256",
        notify_url: "https://127.0.0.1/peer/v2",
      });
      ctx.status = params && params.paySign ? 201 : 502;
      ctx.body = params;
      return;
    }
    default:
      return next();
  }
});
const server = app.listen(Number(process.env.PORT), "127.0.0.1", () => process.stdout.write("ready\n"));
process.on("SIGTERM", () => server.close(() => pool.end().then(() => process.exit(0))));
