/**
 * The list cursor: base64url of {"t": ISO time with milliseconds, "id": uuid}. Only the exact form
 * the server issues is accepted, so nothing a client invents reaches PostgreSQL as a timestamp.
 */
import { AppError } from "../domain/errors";
import type { ListPosition } from "../db/repositories/orders";

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCursor(p: ListPosition): string {
  return Buffer.from(JSON.stringify({ t: p.createdAt.toISOString(), id: p.id })).toString("base64url");
}

export function decodeCursor(cursor: string): ListPosition {
  const bad = () =>
    new AppError("VALIDATION_FAILED", undefined, { field: "cursor", rule: "a cursor this server issued" });
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw bad();
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw bad();
  }
  if (typeof v !== "object" || v === null || Object.keys(v).length !== 2) throw bad();
  const { t, id } = v as { t?: unknown; id?: unknown };
  if (typeof t !== "string" || typeof id !== "string" || !ISO_MS.test(t) || !UUID.test(id)) throw bad();
  const at = new Date(t);
  // Round-trip: rejects impossible dates (2020-02-30) that Date would roll over.
  if (Number.isNaN(at.getTime()) || at.toISOString() !== t || at.getUTCFullYear() < 2000) throw bad();
  if (encodeCursor({ createdAt: at, id }) !== cursor) throw bad();
  return { createdAt: at, id };
}
