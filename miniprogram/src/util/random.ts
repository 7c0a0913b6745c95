/** Idempotency keys from platform random bytes (never a browser global: see platform/). */
export function hex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += (bytes[i]! < 16 ? "0" : "") + bytes[i]!.toString(16);
  return s;
}

export async function newIdempotencyKey(randomBytes: (n: number) => Promise<Uint8Array>): Promise<string> {
  const b = await randomBytes(16);
  if (b.length !== 16) throw new Error(`expected 16 random bytes, got ${b.length}`);
  return `mp-${hex(b)}`;
}
