/**
 * The order export as CSV: the list's filters, every matching order newest first, read in keyset
 * pages and streamed through csv-stringify with backpressure (a page is read only when the client
 * has taken the rows before it), so memory stays flat however many orders there are. UTF-8 with a
 * BOM and CRLF (what Excel opens as UTF-8), amounts in fen and in yuan, times in Asia/Shanghai, and
 * any text cell that a spreadsheet could take for a formula prefixed with '.
 */
import { Readable } from "node:stream";
import { formatYuan } from "@minipay/shared";
import { stringify } from "csv-stringify";
import type { OrderRecord } from "../../db/repositories";
import type { AdminOrderFilter } from "../../db/repositories/orders";
import type { ServiceDeps } from "../deps";

export const CSV_PAGE = 1000;

/** Asia/Shanghai has been UTC+8 all year since 1991: "2026-03-10 08:00:00". */
export function shanghaiTime(d: Date | null): string {
  if (!d) return "";
  return new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace("T", " ");
}

/** OWASP's CSV-injection guard: a cell starting with = + - @ TAB CR or NUL is prefixed with '. */
// eslint-disable-next-line no-control-regex -- TAB, CR and NUL are what is matched
const FORMULA = /^[=+\-@\t\r\u0000]/;
export const neutralise = (v: string): string => (FORMULA.test(v) ? `'${v}` : v);

const COLUMNS = [
  { key: "id", header: "order_id" },
  { key: "outTradeNo", header: "out_trade_no" },
  { key: "transactionId", header: "transaction_id" },
  { key: "state", header: "state" },
  { key: "totalFen", header: "total_fen" },
  { key: "totalYuan", header: "total_yuan" },
  { key: "refundedFen", header: "refunded_fen" },
  { key: "refundedYuan", header: "refunded_yuan" },
  { key: "currency", header: "currency" },
  { key: "description", header: "description" },
  { key: "userId", header: "user_id" },
  { key: "createdAt", header: "created_at (Asia/Shanghai)" },
  { key: "paidAt", header: "paid_at (Asia/Shanghai)" },
  { key: "expiresAt", header: "expires_at (Asia/Shanghai)" },
];

const row = (o: OrderRecord) => ({
  id: o.id,
  outTradeNo: o.outTradeNo,
  transactionId: o.transactionId ?? "",
  state: o.state,
  totalFen: o.totalFen,
  totalYuan: formatYuan(o.totalFen),
  refundedFen: o.refundedFen,
  refundedYuan: formatYuan(o.refundedFen),
  currency: o.currency,
  description: o.description,
  userId: o.userId ?? "", // merchant-API orders have no shopper
  createdAt: shanghaiTime(o.createdAt),
  paidAt: shanghaiTime(o.paidAt),
  expiresAt: shanghaiTime(o.expiresAt),
});

export class OrderExport {
  constructor(private readonly deps: ServiceDeps) {}

  /** Every matching order, one keyset page at a time, only as fast as the consumer pulls. */
  async *orders(merchantId: string, filter: AdminOrderFilter, page = CSV_PAGE): AsyncGenerator<OrderRecord> {
    let after: { createdAt: Date; id: string } | null = null;
    for (;;) {
      const rows = await this.deps.db.repos.orders.adminPage(merchantId, { filter, limit: page, after });
      yield* rows;
      const last = rows[rows.length - 1];
      if (rows.length < page || !last) return;
      after = { createdAt: last.createdAt, id: last.id };
    }
  }

  csv(merchantId: string, filter: AdminOrderFilter): Readable {
    const source = Readable.from(
      (async function* (orders: AsyncGenerator<OrderRecord>) {
        for await (const o of orders) yield row(o);
      })(this.orders(merchantId, filter)),
    );
    const out = stringify({
      header: true,
      columns: COLUMNS,
      bom: true,
      record_delimiter: "windows",
      // A lone CR or LF is not the record delimiter, so csv-stringify would leave it unquoted.
      quoted_match: /[\r\n]/,
      cast: { string: neutralise },
    });
    source.on("error", (err) => out.destroy(err));
    return source.pipe(out);
  }
}
