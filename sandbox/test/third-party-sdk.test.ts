/**
 * An SDK nobody here wrote, unchanged: wechatpay-axios-plugin (npm) as the merchant's client.
 * It signs its own requests and verifies the sandbox's answers with its own code; here it places,
 * queries, closes and refunds orders in v2 (incl. the client-certificate refund) and v3 (both key
 * modes), fetches the day's bill, and its crypto verifies and decrypts the sandbox's notifies.
 */
import { Aes, Formatter, Hash, Rsa, Transformer, Wechatpay } from "wechatpay-axios-plugin";
import { newNo, receiver, sandbox, until, V2_OK } from "./helpers";

let s: Awaited<ReturnType<typeof sandbox>>;
beforeAll(async () => {
  s = await sandbox();
});
afterAll(() => s.close());

function client(m: any): any {
  const certs =
    m.keyMode === "platform_certificate"
      ? { [m.platformCertificateSerial]: m.platformCertificatePem }
      : { [m.wechatpayPublicKeyId]: m.wechatpayPublicKeyPem };
  return new (Wechatpay as any)({
    mchid: m.mchid,
    serial: m.merchantCertificateSerial,
    privateKey: m.merchantPrivateKeyPem,
    certs,
    secret: m.apiV2Key,
    merchant: { cert: m.clientCertPem, key: m.clientKeyPem, ca: s.doc.caCertificatePem },
    baseURL: `${s.sb.url}/`,
  });
}

describe.each(["v3-public-key", "v3-platform-cert"])(
  "wechatpay-axios-plugin v3 against the sandbox (%s)",
  (name) => {
    it("prepay, query, close, refund, refund query — every answer verified by the SDK", async () => {
      const m = s.m(name);
      const wx = client(m);
      const rx = await receiver(() => ({ status: 204, body: "" }));
      try {
        const no = newNo();
        const order = {
          appid: m.appid,
          mchid: m.mchid,
          description: "SDK test",
          out_trade_no: no,
          notify_url: rx.url,
          amount: { total: 88, currency: "CNY" },
          payer: { openid: "oSDKBUYER" },
        };
        const { data: prepay } = await wx.v3.pay.transactions.jsapi.post(order);
        expect(prepay.prepay_id).toMatch(/^wx/);
        const { data: q0 } = await wx.v3.pay.transactions.outTradeNo.$out_trade_no$.get({
          params: { mchid: m.mchid },
          out_trade_no: no,
        });
        expect(q0.trade_state).toBe("NOTPAY");

        await s.control.pay({ prepay_id: prepay.prepay_id, outcome: "SUCCESS" });
        const { data: q1 } = await wx.v3.pay.transactions.outTradeNo.$out_trade_no$.get({
          params: { mchid: m.mchid },
          out_trade_no: no,
        });
        expect(q1).toMatchObject({ trade_state: "SUCCESS", amount: { total: 88 } });
        const { data: byId } = await wx.v3.pay.transactions.id.$transaction_id$.get({
          params: { mchid: m.mchid },
          transaction_id: q1.transaction_id,
        });
        expect(byId.out_trade_no).toBe(no);

        // The notify, checked with the SDK's own RSA and AES-GCM.
        await until(() => rx.got.length >= 1);
        const n = rx.got[0]!;
        const h = n.headers as Record<string, string>;
        const pub = m.keyMode === "public_key" ? m.wechatpayPublicKeyPem : m.platformCertificatePem;
        expect(
          Rsa.verify(
            Formatter.response(h["wechatpay-timestamp"], h["wechatpay-nonce"], n.body),
            h["wechatpay-signature"],
            Rsa.from(pub, Rsa.KEY_TYPE_PUBLIC),
          ),
        ).toBe(true);
        const r = JSON.parse(n.body).resource;
        const plain = JSON.parse(
          (Aes as any).AesGcm.decrypt(r.ciphertext, m.apiV3Key, r.nonce, r.associated_data),
        );
        expect(plain).toMatchObject({ out_trade_no: no, trade_state: "SUCCESS" });

        const { data: refund } = await wx.v3.refund.domestic.refunds.post({
          out_trade_no: no,
          out_refund_no: `R${no}`,
          amount: { refund: 88, total: 88, currency: "CNY" },
        });
        expect(refund.status).toBe("PROCESSING");
        await until(
          async () =>
            (await wx.v3.refund.domestic.refunds.$out_refund_no$.get({ out_refund_no: `R${no}` })).data
              .status === "SUCCESS",
        );

        // The day's bill: the SDK verifies tradebill's signature and, as for every download, not the file's.
        const { data: tb } = await wx.v3.bill.tradebill.get({
          params: { bill_date: q1.success_time.slice(0, 10), bill_type: "ALL" },
        });
        const link = new URL(tb.download_url);
        const { data: file } = await wx.v3.billdownload.file.get({
          params: Object.fromEntries(link.searchParams),
          responseType: "arraybuffer",
        });
        expect(Hash.sha1(Buffer.from(file))).toBe(tb.hash_value);
        expect(Buffer.from(file).toString("utf8")).toContain(`,\`${no},`);

        const no2 = newNo();
        await wx.v3.pay.transactions.jsapi.post({ ...order, out_trade_no: no2 });
        const closed = await wx.v3.pay.transactions.outTradeNo.$out_trade_no$.close.post(
          { mchid: m.mchid },
          { out_trade_no: no2 },
        );
        expect(closed.status).toBe(204);

        // Errors reach the SDK as WeChat's {code, message}.
        const err = await wx.v3.pay.transactions.outTradeNo.$out_trade_no$
          .get({ params: { mchid: m.mchid }, out_trade_no: newNo() })
          .catch((e: any) => e);
        expect(err.response.status).toBe(404);
        expect(err.response.data.code).toBe("ORDER_NOT_EXIST");
      } finally {
        await rx.close();
      }
    });
  },
);

describe.each(["v2-md5", "v2-hmac"])("wechatpay-axios-plugin v2 against the sandbox (%s)", (name) => {
  it("unifiedorder, orderquery, closeorder, refund over mutual TLS, refundquery; the notify verifies", async () => {
    const m = s.m(name);
    const wx = client(m);
    const rx = await receiver(() => V2_OK);
    try {
      const no = newNo();
      const order = {
        appid: m.appid,
        mch_id: m.mchid,
        sign_type: m.signType,
        body: "SDK test",
        out_trade_no: no,
        total_fee: 66,
        spbill_create_ip: "127.0.0.1",
        notify_url: rx.url,
        trade_type: "JSAPI",
        openid: "oSDKBUYER",
      };
      const { data: u } = await wx.v2.pay.unifiedorder.post(order);
      expect(u).toMatchObject({ return_code: "SUCCESS", result_code: "SUCCESS" });
      await s.control.pay({ prepay_id: u.prepay_id, outcome: "SUCCESS" });
      const { data: q } = await wx.v2.pay.orderquery.post({
        appid: m.appid,
        mch_id: m.mchid,
        sign_type: m.signType,
        out_trade_no: no,
      });
      expect(q).toMatchObject({ trade_state: "SUCCESS", total_fee: "66" });

      await until(() => rx.got.length >= 1);
      const note = Transformer.toObject(rx.got[0]!.body) as Record<string, string>;
      const key = Hash.keyObjectFrom(m.apiV2Key);
      expect(Hash.sign(m.signType!, note, key)).toBe(note.sign);

      const { data: refund } = await wx.v2.secapi.pay.refund.post(
        {
          appid: m.appid,
          mch_id: m.mchid,
          sign_type: m.signType,
          out_trade_no: no,
          out_refund_no: `R${no}`,
          total_fee: 66,
          refund_fee: 66,
        },
        { security: true, baseURL: `${s.doc.tlsBaseUrl}/` },
      );
      expect(refund).toMatchObject({ return_code: "SUCCESS", result_code: "SUCCESS", refund_fee: "66" });
      await until(
        async () =>
          (
            await wx.v2.pay.refundquery.post({
              appid: m.appid,
              mch_id: m.mchid,
              sign_type: m.signType,
              out_refund_no: `R${no}`,
            })
          ).data.refund_status_0 === "SUCCESS",
      );

      const day = q.time_end.slice(0, 8);
      const { data: bill } = await wx.v2.pay.downloadbill.post(
        { appid: m.appid, mch_id: m.mchid, sign_type: m.signType, bill_date: day, bill_type: "REFUND" },
        { transformResponse: [(d: string) => d] },
      );
      expect(bill).toContain(`,\`R${no},`);
      const none = await wx.v2.pay.downloadbill
        .post({ appid: m.appid, mch_id: m.mchid, sign_type: m.signType, bill_date: "20200101" })
        .catch((e: any) => e);
      expect(none.response.data).toMatchObject({ return_code: "FAIL", return_msg: "No Bill Exist" });

      const no2 = newNo();
      await wx.v2.pay.unifiedorder.post({ ...order, out_trade_no: no2 });
      const { data: closed } = await wx.v2.pay.closeorder.post({
        appid: m.appid,
        mch_id: m.mchid,
        sign_type: m.signType,
        out_trade_no: no2,
      });
      expect(closed.result_code).toBe("SUCCESS");
    } finally {
      await rx.close();
    }
  });
});
