/** Nonces and ids as WeChat prints them, from crypto.randomBytes (shared by v2, v3 and the store). */
import crypto from "node:crypto";

const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export function randomAlnum(n: number): string {
  let s = "";
  for (const b of crypto.randomBytes(n)) s += ALNUM[b % 62];
  return s;
}

export function randomDigits(n: number): string {
  let s = "";
  for (const b of crypto.randomBytes(n)) s += String(b % 10);
  return s;
}
