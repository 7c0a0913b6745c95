import http from "node:http";
import type { AddressInfo } from "node:net";
import { createWebhookSender, resolveWebhookTarget, type Resolver } from "./sender";

/** A local receiver: answers with `reply` and counts the requests it got. */
async function receiver(reply: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const seen: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ headers: req.headers, body });
      reply(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A resolver that knows only the names given (no real DNS in these tests). */
const names =
  (map: Record<string, string[]>): Resolver =>
  async (host) => {
    const a = map[host];
    if (!a) throw new Error(`ENOTFOUND ${host}`);
    return a;
  };

describe("resolving a webhook URL", () => {
  const resolver = names({
    "hooks.example.com": ["93.184.216.34"],
    "internal.example.com": ["10.0.0.7"],
    "metadata.example.com": ["169.254.169.254"],
    "mixed.example.com": ["93.184.216.34", "127.0.0.1"],
    "v6.example.com": ["::1"],
  });

  it("a host resolving to public addresses passes, pinned to the address checked", async () => {
    expect(
      await resolveWebhookTarget("https://hooks.example.com/x", { allowPrivate: false, resolver }),
    ).toMatchObject({ ok: true, address: "93.184.216.34" });
  });

  it.each([
    ["https://internal.example.com/x", "resolves to a private address"],
    ["https://metadata.example.com/x", "resolves to a link-local address"],
    ["https://mixed.example.com/x", "resolves to a loopback address"],
    ["https://v6.example.com/x", "resolves to a loopback address"],
    ["https://unknown.example.com/x", "does not resolve"],
    ["https://10.1.1.1/x", "private address"],
    ["https://[::1]/x", "loopback address"],
    ["http://hooks.example.com/x", "https only"],
  ])("%s is refused: %s", async (url, reason) => {
    expect(await resolveWebhookTarget(url, { allowPrivate: false, resolver })).toEqual({ ok: false, reason });
  });
});

describe("sending a webhook attempt", () => {
  it("connects to the address the resolver gave, not to what the name would resolve to elsewhere", async () => {
    const rx = await receiver((_q, res) => res.end("ok"));
    try {
      // "pinned.invalid" cannot resolve in real DNS: only the pinned lookup makes this connection.
      const send = createWebhookSender({
        allowPrivate: true,
        timeoutMs: 10_000,
        resolver: names({ "pinned.invalid": ["127.0.0.1"] }),
      });
      const r = await send.post(
        `http://pinned.invalid:${rx.port}/hook`,
        { "webhook-id": "evt_1" },
        '{"a":1}',
      );
      expect(r).toMatchObject({ statusCode: 200, responseHead: "ok", error: null });
      expect(rx.seen).toHaveLength(1);
      expect(rx.seen[0]!.headers).toMatchObject({
        "webhook-id": "evt_1",
        "content-type": "application/json",
      });
      expect(rx.seen[0]!.body).toBe('{"a":1}');
    } finally {
      await rx.close();
    }
  });

  it("without ALLOW_PRIVATE_WEBHOOKS a name resolving to loopback is refused before any connection", async () => {
    const rx = await receiver((_q, res) => res.end("ok"));
    try {
      const send = createWebhookSender({
        allowPrivate: false,
        timeoutMs: 10_000,
        resolver: names({ "sneaky.example.com": ["127.0.0.1"] }),
      });
      const r = await send.post(`https://sneaky.example.com:${rx.port}/hook`, {}, "{}");
      expect(r).toMatchObject({ statusCode: null, error: "refused: resolves to a loopback address" });
      expect(rx.seen).toHaveLength(0);
    } finally {
      await rx.close();
    }
  });

  it("a redirect (here to a private address) is not followed and is a failed attempt", async () => {
    const target = await receiver((_q, res) => res.end("should never be reached"));
    const rx = await receiver((_q, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${target.port}/admin` });
      res.end();
    });
    try {
      const send = createWebhookSender({ allowPrivate: true, timeoutMs: 10_000 });
      const r = await send.post(`http://127.0.0.1:${rx.port}/hook`, {}, "{}");
      expect(r.statusCode).toBe(302);
      expect(r.error).toMatch(/^redirect not followed/);
      expect(rx.seen).toHaveLength(1);
      expect(target.seen).toHaveLength(0);
    } finally {
      await rx.close();
      await target.close();
    }
  });

  it("non-2xx answers fail; only the first 1 KB of the answer is kept", async () => {
    const rx = await receiver((_q, res) => {
      res.writeHead(500);
      res.end("x".repeat(5000));
    });
    try {
      const send = createWebhookSender({ allowPrivate: true, timeoutMs: 10_000 });
      const r = await send.post(`http://127.0.0.1:${rx.port}/hook`, {}, "{}");
      expect(r.statusCode).toBe(500);
      expect(r.error).toBe("HTTP 500");
      expect(r.responseHead).toBe("x".repeat(1024));
    } finally {
      await rx.close();
    }
  });

  it("a receiver that never answers is given up on at the timeout", async () => {
    const rx = await receiver(() => undefined);
    try {
      const send = createWebhookSender({ allowPrivate: true, timeoutMs: 1000 });
      const r = await send.post(`http://127.0.0.1:${rx.port}/hook`, {}, "{}");
      expect(r).toMatchObject({ statusCode: null, error: "timeout after 1000 ms" });
    } finally {
      await rx.close();
    }
  });

  it("a closed port is a connection failure, not an exception", async () => {
    const rx = await receiver((_q, res) => res.end());
    const port = rx.port;
    await rx.close();
    const send = createWebhookSender({ allowPrivate: true, timeoutMs: 5000 });
    const r = await send.post(`http://127.0.0.1:${port}/hook`, {}, "{}");
    expect(r).toMatchObject({ statusCode: null, error: "connection failed: ECONNREFUSED" });
  });
});
