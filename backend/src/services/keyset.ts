/**
 * A keyset page from `limit + 1` rows: the first `limit`, and a cursor after the last of them only
 * when the extra row proves there is more. `encode` makes the cursor from that last row.
 */
export function keysetPage<T>(rows: T[], limit: number, encode: (last: T) => string) {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { page, nextCursor: rows.length > limit && last !== undefined ? encode(last) : null };
}
