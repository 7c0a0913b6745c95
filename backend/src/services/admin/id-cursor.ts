/**
 * Cursors for lists keyed by a bigserial id (audit log, anomalies): base64url of "id:<n>". Only the
 * exact form the server issues is accepted.
 */
import { AppError } from "../../domain/errors";
import { keysetPage } from "../keyset";

export const encodeIdCursor = (id: string): string => Buffer.from(`id:${id}`).toString("base64url");

export function decodeIdCursor(cursor: string): string {
  const bad = () =>
    new AppError("VALIDATION_FAILED", undefined, { field: "cursor", rule: "a cursor this server issued" });
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(cursor)) throw bad();
  const m = /^id:([1-9][0-9]{0,17})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!m || encodeIdCursor(m[1]!) !== cursor) throw bad();
  return m[1]!;
}

/** One page of id-keyed rows (see keysetPage). */
export const pageOf = <T extends { id: string }>(rows: T[], limit: number) =>
  keysetPage(rows, limit, (last) => encodeIdCursor(last.id));
