/**
 * The CSV export: a BOM and CRLF, cells a spreadsheet would run as formulas neutralised, amounts in
 * fen and yuan, times in Asia/Shanghai, the list's filters; and 100k rows streamed with flat memory.
 */
import v8 from "node:v8";
import vm from "node:vm";
import { ADMIN_PREFIX } from "@minipay/shared";
import { neutralise, shanghaiTime } from "../../src/services/admin/orders-csv";
import { makeUser } from "../helpers/orders";
import { A, B, merchantB, startOrdersReader, type AdminKit } from "./admin-kit";

let kit: AdminKit;
let key: string;
let userA: string;
beforeAll(async () => ({ kit, key, userA } = await startOrdersReader()));
afterAll(() => kit.close());

const CSV = `${ADMIN_PREFIX}/orders.csv`;
const get = (q = "", k = key) => fetch(kit.h.url + CSV + q, { headers: { authorization: `Bearer ${k}` } });

async function insert(
  user: string,
  merchant: string,
  rows: { no: string; state: string; fen: number; description: string; created: string; paid?: string }[],
) {
  for (const r of rows)
    await kit.h.ds.query(
      `INSERT INTO orders (user_id, merchant_id, out_trade_no, state, total_fen, description, idempotency_key,
         request_hash, expires_at, created_at, updated_at, paid_at)
       VALUES ($1, $2, $3, $4, $5, $6, $3, 'h', $7, $7, $7, $8)`,
      [user, merchant, r.no, r.state, r.fen, r.description, r.created, r.paid ?? null],
    );
}

describe("admin orders.csv", () => {
  beforeAll(() =>
    insert(userA, A, [
      {
        no: "CSV1",
        state: "paid",
        fen: 12345,
        description: '=HYPERLINK("http://x")',
        created: "2026-03-09T16:00:00Z",
        paid: "2026-03-09T16:00:05Z",
      },
      { no: "CSV2", state: "expired", fen: 5, description: "+1 plus", created: "2026-03-09T15:00:00Z" },
      { no: "CSV3", state: "expired", fen: 100, description: "-2 minus", created: "2026-03-09T14:00:00Z" },
      { no: "CSV4", state: "expired", fen: 101, description: "@SUM(A1)", created: "2026-03-09T13:00:00Z" },
      { no: "CSV5", state: "expired", fen: 102, description: "\tTab", created: "2026-03-09T12:00:00Z" },
      { no: "CSV6", state: "expired", fen: 103, description: "\rCR", created: "2026-03-09T11:00:00Z" },
      {
        no: "CSV7",
        state: "expired",
        fen: 104,
        description: '绿茶, "quoted"',
        created: "2026-03-09T10:00:00Z",
      },
    ]),
  );

  it("UTF-8 with BOM and CRLF, a header, amounts in fen and yuan, Asia/Shanghai times", async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toContain("orders.csv");
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString("utf8").split("\r\n");
    expect(lines[0]).toBe(
      "order_id,out_trade_no,transaction_id,state,total_fen,total_yuan,refunded_fen,refunded_yuan,currency," +
        "description,user_id,created_at (Asia/Shanghai),paid_at (Asia/Shanghai),expires_at (Asia/Shanghai)",
    );
    expect(lines.at(-1)).toBe("");
    const first = lines[1]!;
    expect(first).toContain(",CSV1,,paid,12345,123.45,0,0.00,CNY,");
    expect(first).toContain(",2026-03-10 00:00:00,2026-03-10 00:00:05,2026-03-10 00:00:00");
    expect(lines[2]).toContain(",5,0.05,");
    expect(lines[7]).toContain(',"绿茶, ""quoted""",');
    expect(lines).toHaveLength(1 + 7 + 1);
  });

  it("neutralises cells starting with = + - @ TAB or CR; numbers untouched", async () => {
    const text = await (await get()).text();
    expect(text).toContain(`,"'=HYPERLINK(""http://x"")",`);
    for (const cell of ["'+1 plus", "'-2 minus", "'@SUM(A1)", "'\tTab"]) expect(text).toContain(`,${cell},`);
    expect(text).toContain(`,"'\rCR",`);
    expect(neutralise("-5")).toBe("'-5");
    expect(neutralise("5")).toBe("5");
    expect(shanghaiTime(new Date("2026-12-31T16:30:00Z"))).toBe("2027-01-01 00:30:00");
  });

  it("takes the list's filters and refuses bad ones", async () => {
    const text = await (await get("?state=paid")).text();
    expect(text.split("\r\n").filter(Boolean)).toHaveLength(2);
    const bad = await get("?state=lost");
    expect([bad.status, ((await bad.json()) as any).error.code]).toEqual([400, "VALIDATION_FAILED"]);
  });

  it("streams 100k rows with the heap bounded", async () => {
    const userB = await makeUser(kit.h.db, B, merchantB.credentials.appid);
    const keyB = (await kit.key(B, ["orders:read"])).key;
    await kit.h.ds.query(
      `INSERT INTO orders (user_id, merchant_id, out_trade_no, state, total_fen, description, idempotency_key,
         request_hash, expires_at, created_at, updated_at)
       SELECT $1, $2, 'BIG' || g, 'expired', g, 'bulk order number ' || g, 'big-' || g, 'h', now(),
         timestamptz '2026-01-01Z' + g * interval '1 second', now()
       FROM generate_series(1, 100000) g`,
      [userB, B],
    );
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    gc();
    const base = process.memoryUsage().heapUsed;
    let peak = 0;
    let newlines = 0;
    let chunks = 0;
    let head = "";
    const res = await get("", keyB);
    expect(res.status).toBe(200);
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (head.length < 400) head += Buffer.from(chunk).toString("utf8");
      for (const b of chunk) if (b === 0x0a) newlines++;
      if (++chunks % 50 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - base);
      }
    }
    expect(newlines).toBe(100_001);
    expect(head.split("\r\n")[1]).toContain(",BIG100000,");
    expect(chunks).toBeGreaterThan(50);
    // The whole file is ~13 MB of text (and far more as row objects): holding it would show here.
    expect(peak).toBeLessThan(16 * 1024 * 1024);
  }, 120_000);
});
