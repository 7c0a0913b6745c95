/**
 * Encryption at rest for secrets we must keep (session_key, merchant keys): AES-256-GCM under the
 * master key, random 12-byte IV, output "v1.<iv>.<tag>.<ciphertext>" in base64url.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export class SecretBox {
  private readonly key: Buffer;
  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error("master key must be 32 bytes");
    this.key = masterKey;
  }

  seal(plaintext: string): string {
    const iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv("aes-256-gcm", this.key, iv);
    const ct = Buffer.concat([c.update(plaintext, "utf8"), c.final()]);
    return ["v1", iv, c.getAuthTag(), ct]
      .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
      .join(".");
  }

  open(sealed: string): string {
    const [v, iv, tag, ct] = sealed.split(".");
    if (v !== "v1" || !iv || !tag || ct === undefined) throw new Error("not a sealed secret");
    const d = crypto.createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"));
    d.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([d.update(Buffer.from(ct, "base64url")), d.final()]).toString("utf8");
  }

  /** A sub-key for another purpose (e.g. openid hints), so the master key is used for one thing only. */
  derive(purpose: string): Buffer {
    return Buffer.from(crypto.hkdfSync("sha256", this.key, Buffer.alloc(0), purpose, 32));
  }
}

export function parseMasterKey(value: string): Buffer {
  const b = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, "hex") : Buffer.from(value, "base64");
  if (b.length !== 32) throw new Error("MASTER_KEY must be 32 bytes (64 hex chars or base64)");
  return b;
}

/** Local runs without MASTER_KEY get one generated once and kept (0600) in the data dir. */
export function loadOrCreateMasterKey(dataDir: string): Buffer {
  const file = path.join(dataDir, "master.key");
  if (fs.existsSync(file)) return parseMasterKey(fs.readFileSync(file, "utf8").trim());
  fs.mkdirSync(dataDir, { recursive: true });
  const key = crypto.randomBytes(32);
  fs.writeFileSync(file, key.toString("base64") + "\n", { mode: 0o600 });
  return key;
}
