/**
 * What every repository shares: the handle it queries through (the DataSource's manager, or the
 * transaction's) and the one place that knows how node-postgres answers through TypeORM.
 */
import type { EntityManager } from "typeorm";

export type Manager = EntityManager;

/** Rows of an `INSERT/UPDATE … RETURNING`: TypeORM hands UPDATEs back as [rows, count]. */
export function returningRows<T>(res: unknown): T[] {
  if (Array.isArray(res) && res.length === 2 && Array.isArray(res[0]) && typeof res[1] === "number")
    return res[0] as T[];
  return res as T[];
}

/** pg returns bigint as a string; money in fen fits a JS number (checked by the schema's limits). */
export const num = (v: string | number | null | undefined): number => (v == null ? 0 : Number(v));

/** PostgreSQL's unique-violation code, and the constraint it names. */
export function uniqueViolation(err: unknown): string | null {
  const e = err as {
    code?: string;
    constraint?: string;
    driverError?: { code?: string; constraint?: string };
  };
  const code = e?.code ?? e?.driverError?.code;
  if (code !== "23505") return null;
  return String(e?.constraint ?? e?.driverError?.constraint ?? "");
}

/** How many rows a DELETE removed: TypeORM hands DELETEs back as [rows, count]. */
export function deletedCount(res: unknown): number {
  if (Array.isArray(res) && res.length === 2 && Array.isArray(res[0]) && typeof res[1] === "number")
    return res[1];
  return Array.isArray(res) ? res.length : 0;
}
