/**
 * Bill files handed out by v3 tradebill: the text is fixed when the URL is issued (so the hash
 * stays true), reachable through a token for 30 seconds, and only by the merchant it belongs to.
 */
import crypto from "node:crypto";

export const BILL_URL_TTL_MS = 30_000;

interface BillFile {
  mchid: string;
  text: string;
  expiresAt: number;
}

export class BillFiles {
  private readonly files = new Map<string, BillFile>();

  constructor(private readonly now: () => number) {}

  issue(mchid: string, text: string): string {
    const now = this.now();
    for (const [k, f] of this.files) if (f.expiresAt <= now) this.files.delete(k);
    const token = crypto.randomBytes(24).toString("base64url");
    this.files.set(token, { mchid, text, expiresAt: now + BILL_URL_TTL_MS });
    return token;
  }

  /** The bill text, or null when the token is unknown, expired or another merchant's. */
  get(token: string, mchid: string): string | null {
    const f = this.files.get(token);
    return f && f.mchid === mchid && f.expiresAt > this.now() ? f.text : null;
  }
}
