/**
 * Trade bills: v2 downloadbill and v3 tradebill + file, read back with a parser written here from
 * the published layout (not the sandbox's code) and checked against orders paid and refunded.
 */
import crypto from "node:crypto";
import zlib from "node:zlib";
import { fromXml } from "../src/crypto/v2";
import type { SandboxMerchant } from "../src/testing";
import { newNo, sandbox, until, v2, v2Raw, v3, verified } from "./helpers";

let s: Awaited<ReturnType<typeof sandbox>>;
beforeAll(async () => {
  s = await sandbox();
});
afterAll(() => s.close());

const ALL_HEADER =
  "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类," +
  "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包," +
  "手续费,费率,订单金额,申请退款金额,费率备注";
const SUCCESS_HEADER =
  "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类," +
  "应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注";
const SUMMARY_HEADER =
  "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";

interface Parsed {
  header: string;
  rows: Record<string, string>[];
  summary: Record<string, string>;
}

/** BOM, CRLF lines, back-quoted fields split on ",`", a summary header starting 总交易单数. */
function parseBill(text: string): Parsed {
  expect(text.startsWith("\ufeff")).toBe(true);
  expect(text.endsWith("\r\n")).toBe(true);
  const lines = text.slice(1, -2).split("\r\n");
  expect(lines.every((l) => !l.includes("\n") && !l.includes("\r"))).toBe(true);
  const fields = (l: string) => {
    expect(l.startsWith("`")).toBe(true);
    return l.slice(1).split(",`");
  };
  const header = lines[0]!;
  const names = header.split(",");
  const at = lines.findIndex((l) => l.startsWith("总交易单数"));
  expect(at).toBe(lines.length - 2);
  const rows = lines.slice(1, at).map((l) => {
    const v = fields(l);
    expect(v).toHaveLength(names.length);
    return Object.fromEntries(names.map((n, i) => [n, v[i]!]));
  });
  const sumNames = lines[at]!.split(",");
  const sumValues = fields(lines[at + 1]!);
  return { header, rows, summary: Object.fromEntries(sumNames.map((n, i) => [n, sumValues[i]!])) };
}

/** Yuan text to fen by string arithmetic ("0.5" and "45.0" included). */
function fen(y: string): number {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(y);
  if (!m) throw new Error(`not a 2-decimal amount: ${y}`);
  return (m[1] ? -1 : 1) * (Number(m[2]) * 100 + Number((m[3] ?? "").padEnd(2, "0")));
}
/** Fee text (five decimals) in units of 0.00001 yuan. */
function fee(y: string): number {
  const m = /^(\d+)\.(\d{5})$/.exec(y);
  if (!m) throw new Error(`not a 5-decimal fee: ${y}`);
  return Number(m[1]) * 100_000 + Number(m[2]);
}
const feeTotal = (y: string) => fen(y) * 1000;

/** yyyyMMddHHmmss → yyyy-MM-dd HH:mm:ss */
const v2Time = (t: string) =>
  `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)} ${t.slice(8, 10)}:${t.slice(10, 12)}:${t.slice(12, 14)}`;

interface Trade {
  no: string;
  totalFen: number;
  transactionId: string;
  time: string;
  refunds: { outRefundNo: string; refundId: string; fen: number }[];
}

/** Check rows and summary of an ALL bill against what was done through the sandbox. */
function checkAll(bill: Parsed, m: SandboxMerchant, trades: Trade[], unpaid: string[]) {
  expect(bill.header).toBe(ALL_HEADER);
  const pays = bill.rows.filter((r) => r["交易状态"] === "SUCCESS");
  const refunds = bill.rows.filter((r) => r["交易状态"] === "REFUND");
  expect(pays.length + refunds.length).toBe(bill.rows.length);
  expect(pays.map((r) => r["商户订单号"]).sort()).toEqual(trades.map((t) => t.no).sort());
  for (const t of trades) {
    const r = pays.find((x) => x["商户订单号"] === t.no)!;
    expect(r).toMatchObject({
      交易时间: t.time,
      公众账号ID: m.appid,
      商户号: m.mchid,
      微信订单号: t.transactionId,
      货币种类: "CNY",
      微信退款单号: "0",
      商户退款单号: "0",
      退款金额: "0.00",
      申请退款金额: "0.00",
    });
    expect(fen(r["订单金额"]!)).toBe(t.totalFen);
    expect(fen(r["应结订单金额"]!)).toBe(t.totalFen);
    for (const rf of t.refunds) {
      const x = refunds.find((y) => y["商户退款单号"] === rf.outRefundNo)!;
      expect(x).toMatchObject({
        商户订单号: t.no,
        微信订单号: t.transactionId,
        微信退款单号: rf.refundId,
        退款状态: "SUCCESS",
        订单金额: "0.00",
        应结订单金额: "0.00",
      });
      expect(fen(x["申请退款金额"]!)).toBe(rf.fen);
      expect(fen(x["退款金额"]!)).toBe(rf.fen);
    }
  }
  expect(refunds).toHaveLength(trades.flatMap((t) => t.refunds).length);
  for (const no of unpaid) expect(bill.rows.some((r) => r["商户订单号"] === no)).toBe(false);

  const sum = (col: string, f = fen) => bill.rows.reduce((n, r) => n + f(r[col]!), 0);
  expect(Object.keys(bill.summary).join(",")).toBe(SUMMARY_HEADER);
  expect(fen(bill.summary["总交易单数"]!)).toBe(bill.rows.length * 100);
  const paidFen = trades.reduce((n, t) => n + t.totalFen, 0);
  const refundFen = trades.flatMap((t) => t.refunds).reduce((n, r) => n + r.fen, 0);
  expect(fen(bill.summary["订单总金额"]!)).toBe(paidFen);
  expect(fen(bill.summary["应结订单总金额"]!)).toBe(paidFen);
  expect(fen(bill.summary["申请退款总金额"]!)).toBe(refundFen);
  expect(fen(bill.summary["退款总金额"]!)).toBe(refundFen);
  expect(fen(bill.summary["充值券退款总金额"]!)).toBe(0);
  expect(feeTotal(bill.summary["手续费总金额"]!)).toBe(sum("手续费", fee));
  expect(sum("订单金额")).toBe(paidFen);
}

describe("v2 /pay/downloadbill", () => {
  let m: SandboxMerchant;
  const trades: Trade[] = [];
  const unpaid: string[] = [];
  let day: string;
  const order = (no: string, total: number) => ({
    body: "账单测试",
    out_trade_no: no,
    total_fee: total,
    spbill_create_ip: "127.0.0.1",
    notify_url: "http://127.0.0.1:9/n",
    trade_type: "JSAPI",
    openid: "oBILL",
  });
  const bill = (fields: Record<string, unknown>) => v2Raw(s.sb.url, "/pay/downloadbill", m, fields);

  beforeAll(async () => {
    m = s.m("v2-md5");
    const tls = { cert: m.clientCertPem, key: m.clientKeyPem, ca: s.doc.caCertificatePem };
    for (const [total, refundsFen] of [
      [101, []],
      [250, [50, 200]],
      [9999, [1]],
    ] as [number, number[]][]) {
      const no = newNo();
      const r = await v2(s.sb.url, "/pay/unifiedorder", m, order(no, total));
      await s.control.pay({ prepay_id: r.prepay_id!, outcome: "SUCCESS" });
      const q = await v2(s.sb.url, "/pay/orderquery", m, { out_trade_no: no });
      const t: Trade = {
        no,
        totalFen: total,
        transactionId: q.transaction_id!,
        time: v2Time(q.time_end!),
        refunds: [],
      };
      for (const [i, f] of refundsFen.entries()) {
        const out = `R${i}${no}`;
        const a = await v2(
          s.doc.tlsBaseUrl,
          "/secapi/pay/refund",
          m,
          { out_trade_no: no, out_refund_no: out, total_fee: total, refund_fee: f },
          { tls },
        );
        t.refunds.push({ outRefundNo: out, refundId: a.refund_id!, fen: f });
      }
      trades.push(t);
    }
    const open = newNo();
    await v2(s.sb.url, "/pay/unifiedorder", m, order(open, 7));
    unpaid.push(open);
    day = trades[0]!.time.slice(0, 10).replace(/-/g, "");
    await until(async () => {
      const q = await v2(s.sb.url, "/pay/refundquery", m, { out_trade_no: trades[2]!.no });
      return q.refund_status_0 === "SUCCESS";
    });
  });

  it("ALL: the bill text itself, unsigned, rows and totals as traded", async () => {
    const r = await bill({ bill_date: day, bill_type: "ALL" });
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain/);
    checkAll(parseBill(r.text), m, trades, unpaid);
    // bill_type defaults to ALL
    expect((await bill({ bill_date: day })).text.split("\r\n")[0]).toBe(`\ufeff${ALL_HEADER}`);
  });

  it("SUCCESS has the 20 payment columns only; REFUND only refund rows", async () => {
    const ok = parseBill((await bill({ bill_date: day, bill_type: "SUCCESS" })).text);
    expect(ok.header).toBe(SUCCESS_HEADER);
    expect(ok.rows.map((r) => r["交易状态"])).toEqual(["SUCCESS", "SUCCESS", "SUCCESS"]);
    expect(fen(ok.summary["订单总金额"]!)).toBe(101 + 250 + 9999);
    expect(fen(ok.summary["总交易单数"]!)).toBe(300);
    const rf = parseBill((await bill({ bill_date: day, bill_type: "REFUND" })).text);
    expect(rf.rows.map((r) => r["商户退款单号"]).sort()).toEqual(
      trades.flatMap((t) => t.refunds.map((x) => x.outRefundNo)).sort(),
    );
    expect(fen(rf.summary["退款总金额"]!)).toBe(251);
    expect(fen(rf.summary["订单总金额"]!)).toBe(0);
  });

  it("tar_type=GZIP answers the same text gzipped", async () => {
    const plain = (await bill({ bill_date: day })).text;
    const gz = await bill({ bill_date: day, tar_type: "GZIP" });
    expect(zlib.gunzipSync(gz.bytes).toString("utf8")).toBe(plain);
  });

  it("failures are unsigned XML with return_msg and error_code", async () => {
    const fail = async (fields: Record<string, unknown>, o = {}) => {
      const r = await v2Raw(s.sb.url, "/pay/downloadbill", m, fields, o);
      const x = await fromXml(r.text);
      expect(x.sign).toBeUndefined();
      expect(x.return_code).toBe("FAIL");
      expect(x.error_code).toMatch(/^\d+$/);
      return x;
    };
    expect(await fail({ bill_date: "20200101" })).toMatchObject({
      return_msg: "No Bill Exist",
      error_code: "20002",
    });
    expect((await fail({ bill_date: day, bill_type: "NOPE" })).return_msg).toBe("invalid bill_type");
    for (const bad of ["2026-0101", "20260230", "2026013"])
      expect((await fail({ bill_date: bad })).return_msg).toBe("data format error");
    expect((await fail({})).return_msg).toBe("missing parameter");
    expect((await fail({ bill_date: day }, { badSign: true })).return_msg).toBe("SIGN ERROR");
  });
});

describe("v3 /v3/bill/tradebill and the download", () => {
  let m: SandboxMerchant;
  const trades: Trade[] = [];
  let day: string;

  beforeAll(async () => {
    m = s.m("v3-platform-cert");
    for (const [total, refundsFen] of [
      [300, [120]],
      [1, []],
    ] as [number, number[]][]) {
      const no = newNo();
      const placed = await v3(s.sb.url, "POST", "/v3/pay/transactions/jsapi", m, {
        appid: m.appid,
        mchid: m.mchid,
        description: "bill",
        out_trade_no: no,
        notify_url: "http://127.0.0.1:9/n",
        amount: { total, currency: "CNY" },
        payer: { openid: "oBILL3" },
      });
      await s.control.pay({ prepay_id: JSON.parse(placed.text).prepay_id, outcome: "SUCCESS" });
      const q = JSON.parse(
        (await v3(s.sb.url, "GET", `/v3/pay/transactions/out-trade-no/${no}?mchid=${m.mchid}`, m)).text,
      );
      const t: Trade = {
        no,
        totalFen: total,
        transactionId: q.transaction_id,
        time: q.success_time.slice(0, 19).replace("T", " "),
        refunds: [],
      };
      for (const f of refundsFen) {
        const a = await v3(s.sb.url, "POST", "/v3/refund/domestic/refunds", m, {
          out_trade_no: no,
          out_refund_no: `R${no}`,
          amount: { refund: f, total, currency: "CNY" },
        });
        t.refunds.push({ outRefundNo: `R${no}`, refundId: JSON.parse(a.text).refund_id, fen: f });
      }
      trades.push(t);
    }
    day = trades[0]!.time.slice(0, 10);
    await until(
      async () =>
        JSON.parse((await v3(s.sb.url, "GET", `/v3/refund/domestic/refunds/R${trades[0]!.no}`, m)).text)
          .status === "SUCCESS",
    );
  });

  const tradebill = (query: string) => v3(s.sb.url, "GET", `/v3/bill/tradebill?${query}`, m);
  const download = (url: string, who = m) => {
    const u = new URL(url);
    expect(u.origin).toBe(s.sb.url);
    return v3(s.sb.url, "GET", u.pathname + u.search, who);
  };

  it("a signed answer with SHA1 and a URL; the file is unsigned and hashes to it", async () => {
    const r = await tradebill(`bill_date=${day}&bill_type=ALL`);
    expect(r.status).toBe(200);
    expect(verified(m, r.headers, r.text)).toBe(true);
    const b = JSON.parse(r.text);
    expect(b).toEqual({
      hash_type: "SHA1",
      hash_value: expect.stringMatching(/^[0-9a-f]{40}$/),
      download_url: expect.stringContaining("/v3/billdownload/file?token="),
    });
    const file = await download(b.download_url);
    expect(file.status).toBe(200);
    expect(file.headers.get("wechatpay-signature")).toBeNull();
    expect(crypto.createHash("sha1").update(file.bytes).digest("hex")).toBe(b.hash_value);
    checkAll(parseBill(file.text), m, trades, []);
  });

  it("GZIP: the URL says so, the file gunzips, the hash is of the plain text", async () => {
    const b = JSON.parse((await tradebill(`bill_date=${day}&bill_type=SUCCESS&tar_type=GZIP`)).text);
    expect(b.download_url).toMatch(/&tartype=gzip$/);
    const file = await download(b.download_url);
    const text = zlib.gunzipSync(file.bytes);
    expect(crypto.createHash("sha1").update(text).digest("hex")).toBe(b.hash_value);
    const parsed = parseBill(text.toString("utf8"));
    expect(parsed.header).toBe(SUCCESS_HEADER);
    expect(parsed.rows).toHaveLength(2);
  });

  it("the download needs the owning merchant's signature", async () => {
    const b = JSON.parse((await tradebill(`bill_date=${day}`)).text);
    const other = await download(b.download_url, s.m("v3-public-key"));
    expect([other.status, JSON.parse(other.text).code]).toEqual([400, "INVALID_REQUEST"]);
    const unsigned = await fetch(b.download_url);
    expect(unsigned.status).toBe(401);
  });

  it("WeChat's errors: PARAM_ERROR for bad dates and types, NO_STATEMENT_EXIST for an empty day", async () => {
    const err = async (q: string) => {
      const r = await tradebill(q);
      expect(verified(m, r.headers, r.text)).toBe(true);
      return [r.status, JSON.parse(r.text).code];
    };
    expect(await err("bill_date=2020-01-01")).toEqual([400, "NO_STATEMENT_EXIST"]);
    expect(await err(`bill_date=${day.replace(/-/g, "")}`)).toEqual([400, "PARAM_ERROR"]);
    expect(await err("bill_date=2026-02-30")).toEqual([400, "PARAM_ERROR"]);
    expect(await err("bill_type=ALL")).toEqual([400, "PARAM_ERROR"]);
    expect(await err(`bill_date=${day}&bill_type=EVERYTHING`)).toEqual([400, "PARAM_ERROR"]);
    expect(await err(`bill_date=${day}&tar_type=ZIP`)).toEqual([400, "PARAM_ERROR"]);
  });
});
