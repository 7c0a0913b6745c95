/**
 * What the reconciliation suites share: a paid order through the real pay flow, its WeChat trade
 * number, an admin key, and a reconciliation run through POST /admin/v1/reconciliations.
 */
import crypto from "node:crypto";
import { ADMIN_PREFIX, type AdminScope } from "@minipay/shared";
import type { OurRefund } from "../../src/domain/reconcile";
import { CLI_ACTOR } from "../../src/services/admin/actor";
import { ApiKeyService } from "../../src/services/admin/keys";
import { eventually, payingOrder, type Stack } from "../helpers/sandbox-stack";

export async function adminKey(stack: Stack, scopes: AdminScope[] = ["reports:read", "orders:read"]) {
  return (
    await new ApiKeyService(stack.h.deps).create(stack.merchantId, { name: "recon", scopes }, CLI_ACTOR)
  ).key;
}

export async function admin(stack: Stack, key: string, method: string, path: string, body?: unknown) {
  return stack.api(method, `${ADMIN_PREFIX}${path}`, {
    body,
    headers: { authorization: `Bearer ${key}` },
  });
}

/** The WeChat number the order's (first) prepay used. */
export async function tradeNumberOf(stack: Stack, orderId: string): Promise<string> {
  const rows = await stack.h.ds.query(
    `SELECT out_trade_no FROM trade_numbers WHERE order_id = $1 ORDER BY created_at LIMIT 1`,
    [orderId],
  );
  return rows[0].out_trade_no;
}

/** An order paid through the sandbox and applied here (notify or verify). */
export async function paidOrder(stack: Stack) {
  const { order, prepayId, token } = await payingOrder(stack);
  await stack.sb.pay({ prepay_id: prepayId });
  await eventually(async () => {
    const o = await stack.client(token).verify(order.id);
    return o.state === "paid";
  }, 20_000);
  return {
    id: order.id as string,
    totalFen: order.totalFen as number,
    no: await tradeNumberOf(stack, order.id),
  };
}

/** An order with a prepay at WeChat that nobody paid. */
export async function unpaidOrder(stack: Stack) {
  const { order } = await payingOrder(stack);
  return { id: order.id as string, no: await tradeNumberOf(stack, order.id) };
}

/** A refund of `fen` accepted by the sandbox, and the record we would hold for it. */
export async function sandboxRefund(
  stack: Stack,
  paid: { id: string; no: string; totalFen: number },
  fen: number,
  now: () => Date = () => new Date(),
): Promise<OurRefund> {
  const m = (await stack.h.registry.byId(stack.merchantId))!;
  const outRefundNo = `RF${crypto.randomBytes(8).toString("hex")}`;
  await m.gateway.refund({
    outTradeNo: paid.no,
    outRefundNo,
    totalFen: paid.totalFen,
    refundFen: fen,
    notifyUrl: "http://127.0.0.1:9/refund-notify-unused",
  });
  return {
    id: crypto.randomUUID(),
    orderId: paid.id,
    outRefundNo,
    amountFen: fen,
    state: "processing",
    acceptedAt: now(),
  };
}

export const NO_MISMATCHES = {
  missing_here: 0,
  missing_at_wechat: 0,
  amount_mismatch: 0,
  state_mismatch: 0,
  refund_mismatch: 0,
};
