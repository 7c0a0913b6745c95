/** What the services share: the data-access seam, a clock, randomness, a logger. Passed in by compose. */
import type { Db } from "../db/repositories";
import type { Logger } from "../logger";
import type { MetricsPort } from "./metrics-port";

export interface ServiceDeps {
  db: Db;
  now: () => Date;
  randomBytes: (n: number) => Buffer;
  logger: Logger;
  /** Counters for operators (compose passes the app's; absent = not counted). */
  metrics?: MetricsPort;
}

/** The identity a WeChat answer must carry to be about one of this merchant's orders. */
export interface MerchantIdentity {
  id: string;
  appid: string;
  mchid: string;
}
