/** What the services share: the database, a clock, randomness, a logger. Passed in by main/boot. */
import type { DataSource, EntityManager } from "typeorm";
import type { Logger } from "../logger";

export interface ServiceDeps {
  ds: DataSource;
  now: () => Date;
  randomBytes: (n: number) => Buffer;
  logger: Logger;
}

/** Either the DataSource or an EntityManager inside a transaction: both have `query`. */
export type Queryable = Pick<EntityManager, "query">;
