/**
 * Closing and syncing an order through the admin API, against the sandbox: close happens at WeChat
 * first and gives the stock back; a paid order (or one WeChat says was paid) is not closable; sync
 * applies what WeChat says now. Each change writes one audit row, a sync that changes nothing none.
 */
import { ADMIN_PREFIX, ADMIN_SCOPES, AdminOrderDetail } from "@minipay/shared";
import { CLI_ACTOR } from "../../src/services/admin/actor";
import { ApiKeyService } from "../../src/services/admin/keys";
import { idemKey, payingOrder, useSandbox, useStack } from "../helpers/sandbox-stack";

const sandbox = useSandbox();
const stack = useStack(sandbox, "v3-public-key");
let key: string;
beforeAll(async () => {
  key = (
    await new ApiKeyService(stack.h.deps).create(
      stack.merchantId,
      { name: "ops", scopes: ADMIN_SCOPES },
      CLI_ACTOR,
    )
  ).key;
});

const call = async (method: string, path: string, k: string = key) => {
  const res = await fetch(stack.h.url + ADMIN_PREFIX + path, {
    method,
    headers: { authorization: `Bearer ${k}` },
  });
  return { status: res.status, body: (await res.json()) as any };
};
const stock = async () =>
  Number(
    (
      await stack.h.ds.query(`SELECT stock FROM products WHERE merchant_id = $1 AND id = 'oolong-tea'`, [
        stack.merchantId,
      ])
    )[0].stock,
  );
const audits = async (orderId: string) =>
  (await stack.h.ds.query(`SELECT action, before, after FROM audit_log WHERE target_id = $1 ORDER BY id`, [
    orderId,
  ])) as { action: string; before: unknown; after: unknown }[];
const wechatState = async (outTradeNo: string) =>
  (await (await stack.h.registry.byId(stack.merchantId))!.gateway.queryOrder(outTradeNo))?.tradeState;

describe("admin order actions (sandbox)", () => {
  it("close: closed at WeChat first, then closed here with the stock back and one audit row", async () => {
    const start = await stock();
    const p = await payingOrder(stack, { productId: "oolong-tea", quantity: 2 });
    expect(await stock()).toBe(start - 2);
    const res = await call("POST", `/orders/${p.order.id}/close`);
    expect(res.status).toBe(200);
    const d = AdminOrderDetail.parse(res.body);
    expect(d.state).toBe("closed");
    expect(d.events.at(-1)).toMatchObject({ from: "paying", to: "closed", source: "admin" });
    expect(d.tradeNumbers.every((n) => n.closedAt !== null)).toBe(true);
    expect(await wechatState(p.order.outTradeNo)).toBe("CLOSED");
    expect(await stock()).toBe(start);
    expect(await audits(p.order.id)).toEqual([
      { action: "order.close", before: { state: "paying" }, after: { state: "closed" } },
    ]);
    // Closing again, or syncing a closed order, changes nothing and writes nothing.
    const again = await call("POST", `/orders/${p.order.id}/close`);
    expect([again.status, again.body.error.code]).toEqual([409, "ORDER_NOT_CLOSABLE"]);
    expect((await call("POST", `/orders/${p.order.id}/sync`)).body.state).toBe("closed");
    expect(await audits(p.order.id)).toHaveLength(1);
  });

  it("close: an order never sent to WeChat closes without asking it", async () => {
    const { token } = await stack.login();
    const o = await stack.order(token, "oolong-tea", 1, idemKey());
    expect(o.status).toBe(201);
    const res = await call("POST", `/orders/${o.body.id}/close`);
    expect([res.status, res.body.state]).toEqual([200, "closed"]);
    expect(res.body.events.at(-1)).toMatchObject({ from: "created", to: "closed", source: "admin" });
  });

  it("close: a paid order is 409 ORDER_NOT_CLOSABLE, nothing written", async () => {
    const p = await payingOrder(stack);
    await stack.sb.pay({ prepay_id: p.prepayId, openid: p.openid, outcome: "SUCCESS" });
    await call("POST", `/orders/${p.order.id}/sync`);
    const res = await call("POST", `/orders/${p.order.id}/close`);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: "ORDER_NOT_CLOSABLE", details: { state: "paid" } });
    expect((await audits(p.order.id)).filter((a) => a.action === "order.close")).toEqual([]);
  });

  it("close: paid at WeChat but the notify was lost → settled as paid, and the close refused", async () => {
    const p = await payingOrder(stack);
    await stack.sb.scenario({ match: { out_trade_no: p.order.outTradeNo }, action: "drop_notify" });
    await stack.sb.pay({ prepay_id: p.prepayId, openid: p.openid, outcome: "SUCCESS" });
    const res = await call("POST", `/orders/${p.order.id}/close`);
    expect([res.status, res.body.error.code]).toEqual([409, "ORDER_NOT_CLOSABLE"]);
    const d = AdminOrderDetail.parse((await call("GET", `/orders/${p.order.id}`)).body);
    expect(d.state).toBe("paid");
    expect(d.transactionId).not.toBeNull();
    expect(d.events.at(-1)).toMatchObject({ to: "paid", source: "admin" });
  });

  it("sync: a lost notify is applied through settle; one audit row, none for a sync that moves nothing", async () => {
    const p = await payingOrder(stack);
    await stack.sb.scenario({ match: { out_trade_no: p.order.outTradeNo }, action: "drop_notify" });
    await stack.sb.pay({ prepay_id: p.prepayId, openid: p.openid, outcome: "SUCCESS" });
    const before = AdminOrderDetail.parse((await call("GET", `/orders/${p.order.id}`)).body);
    expect(before.state).toBe("paying");
    expect(before.attempts).toEqual([expect.objectContaining({ method: "jsapi", superseded: false })]);
    const res = await call("POST", `/orders/${p.order.id}/sync`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: "paid" });
    expect(res.body.events.at(-1)).toMatchObject({ from: "paying", to: "paid", source: "admin" });
    expect(await audits(p.order.id)).toEqual([
      {
        action: "order.sync",
        before: { state: "paying" },
        after: { state: "paid", outTradeNo: p.order.outTradeNo, tradeState: "SUCCESS" },
      },
    ]);
    expect((await call("POST", `/orders/${p.order.id}/sync`)).body.state).toBe("paid");
    expect(await audits(p.order.id)).toHaveLength(1);
  });

  it("an unknown order is 404 (another merchant's: scopes.test)", async () => {
    for (const id of ["00000000-0000-4000-8000-000000000000", "nope"])
      for (const action of ["close", "sync"]) {
        const r = await call("POST", `/orders/${id}/${action}`);
        expect([r.status, r.body.error.code]).toEqual([404, "RESOURCE_NOT_FOUND"]);
      }
  });
});
