/**
 * Sends one webhook attempt (README "Webhooks", outbound safety). The host is resolved here, every
 * address it resolves to is checked, and the connection is made to the checked address (a custom
 * `lookup` pins it), so a DNS answer that changes between the check and the connect (rebinding)
 * cannot steer the request elsewhere. Redirects are never followed; the answer is read up to 1 KB
 * and the whole attempt is bounded by a timeout.
 */
import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { checkWebhookUrl, resolvedProblem } from "../domain/webhook-address";

export type Resolver = (host: string) => Promise<string[]>;

export const systemResolver: Resolver = async (host) =>
  (await dns.promises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export interface AttemptResult {
  statusCode: number | null;
  latencyMs: number;
  /** The first 1 KB of the answer (UTF-8, NUL bytes dropped). */
  responseHead: string | null;
  error: string | null;
}

export interface WebhookSender {
  post(url: string, headers: Record<string, string>, body: string): Promise<AttemptResult>;
}

export interface SenderOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  resolver?: Resolver;
  /** Bytes of the answer kept (the rest is not read). */
  keepBytes?: number;
}

/** Resolve and check a webhook URL's host: the addresses to use, or why not. */
export async function resolveWebhookTarget(
  raw: string,
  o: { allowPrivate: boolean; resolver?: Resolver },
): Promise<{ ok: true; url: URL; address: string } | { ok: false; reason: string }> {
  const v = checkWebhookUrl(raw, o.allowPrivate);
  if (!v.ok) return v;
  let addresses: string[];
  try {
    addresses = v.literal ? [v.host] : await (o.resolver ?? systemResolver)(v.host);
  } catch {
    return { ok: false, reason: "does not resolve" };
  }
  const why = resolvedProblem(addresses, o.allowPrivate);
  if (why) return { ok: false, reason: why };
  return { ok: true, url: v.url, address: addresses[0]! };
}

export function createWebhookSender(o: SenderOptions): WebhookSender {
  const keep = o.keepBytes ?? 1024;
  return {
    async post(raw, headers, body) {
      const started = Date.now();
      const fail = (error: string, statusCode: number | null = null, head: string | null = null) => ({
        statusCode,
        latencyMs: Date.now() - started,
        responseHead: head,
        error,
      });
      // Resolution counts against the attempt's time limit too.
      let late: NodeJS.Timeout | undefined;
      const target = await Promise.race([
        resolveWebhookTarget(raw, o),
        new Promise<{ ok: false; reason: string }>(
          (r) => (late = setTimeout(() => r({ ok: false, reason: "DNS timeout" }), o.timeoutMs)),
        ),
      ]);
      clearTimeout(late);
      if (!target.ok) return fail(`refused: ${target.reason}`);
      const { url, address } = target;
      const family = net.isIPv6(address) ? 6 : 4;
      const pinned: net.LookupFunction = (_host, opts, cb) => {
        if ((opts as { all?: boolean }).all) (cb as any)(null, [{ address, family }]);
        else cb(null, address, family);
      };
      const lib = url.protocol === "https:" ? https : http;
      return new Promise<AttemptResult>((resolve) => {
        let settled = false;
        const done = (r: AttemptResult) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(r);
        };
        const req = lib.request(
          url,
          {
            method: "POST",
            lookup: pinned,
            agent: false,
            headers: {
              ...headers,
              "content-type": "application/json",
              "content-length": String(Buffer.byteLength(body)),
              "user-agent": "Minipay-Webhooks/1",
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            const finish = () => {
              const head = Buffer.concat(chunks).subarray(0, keep).toString("utf8").replaceAll("\u0000", "");
              const code = res.statusCode ?? null;
              res.destroy();
              if (code !== null && code >= 300 && code < 400)
                done(
                  fail(
                    `redirect not followed (${res.headers.location ? "to another URL" : "no location"})`,
                    code,
                    head,
                  ),
                );
              else if (code === null || code < 200 || code >= 300) done(fail(`HTTP ${code}`, code, head));
              else
                done({ statusCode: code, latencyMs: Date.now() - started, responseHead: head, error: null });
            };
            res.on("data", (c: Buffer) => {
              chunks.push(c);
              size += c.length;
              if (size >= keep) finish();
            });
            res.on("end", finish);
            res.on("error", () => finish());
          },
        );
        const timer = setTimeout(() => {
          req.destroy();
          done(fail(`timeout after ${o.timeoutMs} ms`));
        }, o.timeoutMs);
        req.on("error", (err) =>
          done(fail(`connection failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`)),
        );
        req.end(body);
      });
    },
  };
}
