import { v2PaySign, v2Sign, v2SignString, v2Verify } from "./sign";

// Official vectors V1–V3 (WeChat's published examples).
const params = {
  appid: "wxd930ea5d5a258f4f",
  mch_id: "10000100",
  device_info: "1000",
  body: "test",
  nonce_str: "ibuaiVcKdpRxkhJA",
};
const key = "192006250b4c09247ec02edce69f6a2d";

describe("v2 sign", () => {
  it("builds stringA as the official example", () => {
    expect(v2SignString(params, key)).toBe(
      "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA&key=" +
        key,
    );
  });
  it("V1 MD5", () => expect(v2Sign(params, key, "MD5")).toBe("9A0A8659F005D6984697E2CA0A9CF3B7"));
  it("V2 HMAC-SHA256", () =>
    expect(v2Sign(params, key, "HMAC-SHA256")).toBe(
      "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6",
    ));
  it("ignores sign and empty values", () => {
    expect(v2Sign({ ...params, sign: "X", empty: "", nothing: undefined }, key, "MD5")).toBe(
      "9A0A8659F005D6984697E2CA0A9CF3B7",
    );
  });
  it("verifies and rejects", () => {
    expect(v2Verify({ ...params, sign: "9A0A8659F005D6984697E2CA0A9CF3B7" }, key, "MD5")).toBe(true);
    expect(v2Verify({ ...params, sign: "9A0A8659F005D6984697E2CA0A9CF3B8" }, key, "MD5")).toBe(false);
    expect(
      v2Verify({ ...params, total_fee: "1", sign: "9A0A8659F005D6984697E2CA0A9CF3B7" }, key, "MD5"),
    ).toBe(false);
    expect(v2Verify(params, key, "MD5")).toBe(false);
  });
  it("V3 paySign (MD5)", () => {
    expect(
      v2PaySign(
        {
          appId: "wxd678efh567hg6787",
          nonceStr: "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
          package: "prepay_id=wx2017033010242291fcfe0db70013231072",
          signType: "MD5",
          timeStamp: "1490840662",
        },
        "qazwsxedcrfvtgbyhnujmikolp111111",
      ),
    ).toBe("22D9B4E54AB1950F51E0649E8810ACD6");
  });
});
