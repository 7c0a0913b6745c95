/**
 * What the refund suites share: a backend with the job engine on, over the sandbox, with a proxy
 * between the sandbox and the backend that keeps a copy of every notify (to replay or forge), an
 * admin key, paid orders, and what the sandbox itself holds about refunds.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ADMIN_PREFIX, ADMIN_SCOPES } from "@minipay/shared";
import { CLI_ACTOR } from "../../src/services/admin/actor";
import { ApiKeyService } from "../../src/services/admin/keys";
import {
  eventually,
  idemKey,
  payingOrder,
  startStack,
  type Sandbox,
  type SandboxMerchantName,
  type Stack,
} from "../helpers/sandbox-stack";

export interface Copied {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** Forwards every notify to the backend and keeps a copy. */
async function copyingProxy() {
  const copies: Copied[] = [];
  let target = "";
  const server = http.createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const p of req) parts.push(p as Buffer);
    const body = Buffer.concat(parts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    copies.push({ path: req.url!, headers, body });
    try {
      const r = await fetch(target + req.url, { method: "POST", headers, body });
      res.writeHead(r.status, { "content-type": r.headers.get("content-type") ?? "text/plain" });
      res.end(Buffer.from(await r.arrayBuffer()));
    } catch {
      res.writeHead(502).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    copies,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setTarget: (t: string) => (target = t),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface RefundKit {
  stack: Stack;
  copies: Copied[];
  key: string;
  /** A paid order of `quantity` oolong teas (68.00 CNY each). */
  paidOrder(quantity?: number): Promise<{ id: string; outTradeNo: string; totalFen: number; token: string }>;
  refund(
    orderId: string,
    amountFen: number,
    o?: { key?: string; reason?: string },
  ): Promise<{ status: number; body: any }>;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** The refunds the sandbox (WeChat) holds for an out_trade_no. */
  wechatRefunds(outTradeNo: string): { outRefundNo: string; refundFen: number; status: string }[];
  /** Wait until every refund of ours is final. */
  allFinal(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startRefundKit(
  sandbox: Sandbox,
  name: SandboxMerchantName | SandboxMerchantName[],
  opts: Parameters<typeof startStack>[2] = {},
): Promise<RefundKit> {
  const proxy = await copyingProxy();
  const stack = await startStack(sandbox, name, {
    jobs: { scheduleSeconds: [1, 1, 2] },
    publicBaseUrl: () => proxy.url,
    ...opts,
  });
  proxy.setTarget(stack.h.url);
  const created = await new ApiKeyService(stack.h.deps).create(
    stack.merchantId,
    { name: "refund tests", scopes: [...ADMIN_SCOPES] },
    CLI_ACTOR,
  );
  const admin = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    stack.api(method, ADMIN_PREFIX + path, {
      body,
      headers: { authorization: `Bearer ${created.key}`, ...headers },
    });
  const kit: RefundKit = {
    stack,
    copies: proxy.copies,
    key: created.key,
    async paidOrder(quantity = 1) {
      const p = await payingOrder(stack, { productId: "oolong-tea", quantity });
      await stack.sb.pay({ prepay_id: p.prepayId, openid: p.openid, outcome: "SUCCESS" });
      await eventually(
        async () =>
          (await stack.h.ds.query(`SELECT state FROM orders WHERE id = $1`, [p.order.id]))[0].state ===
          "paid",
        20_000,
      );
      return { id: p.order.id, outTradeNo: p.order.outTradeNo, totalFen: p.order.totalFen, token: p.token };
    },
    refund: (orderId, amountFen, o = {}) =>
      admin(
        "POST",
        `/orders/${orderId}/refunds`,
        { amountFen, ...(o.reason ? { reason: o.reason } : {}) },
        { "idempotency-key": o.key ?? idemKey() },
      ),
    admin: (method, path, body) => admin(method, path, body),
    wechatRefunds: (outTradeNo) =>
      sandbox.sandbox.context.store
        .refundsOf(stack.merchant.credentials.mchid, outTradeNo)
        .map((r) => ({ outRefundNo: r.outRefundNo, refundFen: r.refundFen, status: r.status })),
    async allFinal(timeoutMs = 60_000) {
      await eventually(async () => {
        const [r] = await stack.h.ds.query(
          `SELECT count(*)::int AS n FROM refunds WHERE state IN ('pending','processing')`,
        );
        return r.n === 0;
      }, timeoutMs);
    },
    close: async () => {
      await stack.close();
      await proxy.close();
    },
  };
  return kit;
}
