/** What every wire module needs; built once in server.ts. */
import type { BillFiles } from "../bills/files";
import type { Notifier } from "../notify/deliver";
import type { Scenarios } from "../notify/scenarios";
import type { Merchants } from "../state/merchants";
import type { Store } from "../state/store";
import type { Holds } from "./holds";

export interface SandboxContext {
  store: Store;
  merchants: Merchants;
  scenarios: Scenarios;
  notifier: Notifier;
  now: () => number;
  timeScale: number;
  /** Minimum order age before close is allowed (docs/wechatpay-spec.md §2.5 mentions 5 minutes; default 0). */
  closeMinAgeSeconds: number;
  /** How long a `timeout` fault holds a request when its rule gives no `ms`. */
  timeoutMs: number;
  /** Requests held by `timeout` faults; released when the sandbox closes. */
  holds: Holds;
  /** v3 bill downloads waiting to be fetched. */
  billFiles: BillFiles;
}
