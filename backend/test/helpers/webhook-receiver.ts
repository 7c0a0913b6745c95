/**
 * A merchant's webhook receiver for tests: records every request (headers and the raw body, as a
 * receiver must verify it) and answers with the next status of `statuses` (the last one repeats).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  /** The request's path and query (tests give each endpoint its own). */
  path: string;
  headers: Record<string, string>;
  body: string;
  at: Date;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** A URL of this receiver for one endpoint (its own path, to tell endpoints apart). */
  urlFor(name: string): string;
  /** Requests that carried this webhook id, to the endpoint `name` when given. */
  forEvent(id: string, name?: string): Received[];
  /** What the next requests (to endpoint `name`, or to any other) are answered with; the last status repeats. */
  answer(statuses: number[], name?: string): void;
  close(): Promise<void>;
}

export async function startReceiver(statuses: number[] = [200]): Promise<Receiver> {
  let plan = [...statuses];
  const plans = new Map<string, number[]>();
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
      received.push({
        path: req.url ?? "",
        headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: new Date(),
      });
      const own = plans.get(req.url ?? "") ?? plan;
      const status = own.length > 1 ? own.shift()! : own[0]!;
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(status < 300 ? "thanks" : `no (${status})`);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/minipay-hook`;
  return {
    url,
    received,
    urlFor: (name) => `${url}/${name}`,
    forEvent: (id, name) =>
      received.filter(
        (r) => r.headers["webhook-id"] === id && (name === undefined || r.path === `/minipay-hook/${name}`),
      ),
    answer: (s, name) => {
      if (name === undefined) plan = [...s];
      else plans.set(`/minipay-hook/${name}`, [...s]);
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
