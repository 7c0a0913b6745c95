/**
 * `minipay doctor` wiring: the merchant rows and their sealed credentials from the database, the
 * real WeChat probe and an https reachability check, then the checks of services/doctor.ts.
 */
import https from "node:https";
import type { Config } from "../config";
import type { Db } from "../db/repositories";
import { openSecrets } from "../merchants/secrets";
import type { SecretBox } from "../security/secret-box";
import { runDoctor, type DoctorReport } from "../services/doctor";
import { createCredentialProbe } from "../wechat/probe";

/** GET over https with Node's trusted CAs (NODE_EXTRA_CA_CERTS included); no redirects followed. */
export function reachHttps(url: string, timeoutMs = 10_000): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const req = https.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (err) => {
      const code = (err as { code?: string }).code;
      resolve({ error: code ? `${code}: ${err.message}` : err.message });
    });
  });
}

export async function doctorMerchants(
  db: Db,
  box: SecretBox,
  config: Pick<Config, "PUBLIC_BASE_URL" | "publicBaseUrl" | "WECHAT_TIMEOUT_MS">,
  merchantIds: string[],
): Promise<DoctorReport[]> {
  const rows = await db.repos.merchants.list();
  const reports: DoctorReport[] = [];
  for (const id of merchantIds) {
    const row = rows.find((r) => r.id === id)!;
    let secrets;
    try {
      secrets = openSecrets(box, row.credentialsSealed);
    } catch {
      throw new Error(
        `cannot open ${row.id}'s credentials: MASTER_KEY (or DATA_DIR/master.key) is not the backend's`,
      );
    }
    const now = () => new Date();
    reports.push(
      await runDoctor(
        {
          merchantId: row.id,
          merchantName: row.name,
          credentials: secrets.credentials,
          publicBaseUrl: config.PUBLIC_BASE_URL ?? null,
          // The same URL the merchant registry gives WeChat (merchants/registry.ts).
          notifyUrl: `${config.publicBaseUrl}/notify/wechat/${row.id}/${row.apiVersion}/pay`,
        },
        {
          probe: (creds) => createCredentialProbe(creds, { clock: now, timeoutMs: config.WECHAT_TIMEOUT_MS }),
          reach: (url) => reachHttps(url),
          now,
        },
      ),
    );
  }
  return reports;
}
