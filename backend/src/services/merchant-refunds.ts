/**
 * Refunds through /merchant/v1 (README "Payment-centre mode"): the merchant names its order by its
 * own number, and everything else is the admin refund route's service (same rules, idempotency,
 * audit row with the key as actor, WeChat calls and status checks).
 */
import type { AdminRefund } from "@minipay/shared";
import { AppError } from "../domain/errors";
import type { AdminActor } from "./admin/actor";
import type { ServiceDeps } from "./deps";
import { refundView, type RefundingMerchant, type RefundService } from "./refunds";

const NUMBER_RE = /^[A-Za-z0-9_-]{1,64}$/;

export class MerchantRefundService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly refunds: Pick<RefundService, "create">,
  ) {}

  /** Our order id behind the merchant's number; another merchant's number is simply not found. */
  private async orderIdOf(merchantId: string, merchantOrderNo: string): Promise<string> {
    const mo = NUMBER_RE.test(merchantOrderNo)
      ? await this.deps.db.repos.merchantOrders.byNumber(merchantId, merchantOrderNo)
      : null;
    if (!mo) throw new AppError("RESOURCE_NOT_FOUND", undefined, { type: "order", merchantOrderNo });
    return mo.orderId;
  }

  async create(
    m: RefundingMerchant,
    merchantOrderNo: string,
    req: { amountFen: number; reason?: string },
    idempotencyKey: string | undefined,
    actor: AdminActor,
  ): Promise<{ refund: AdminRefund; replayed: boolean }> {
    const orderId = await this.orderIdOf(m.id, merchantOrderNo);
    return this.refunds.create(m, orderId, req, idempotencyKey, actor);
  }

  /** The order's refunds, oldest first (the caller found the order for this merchant). */
  async forOrder(orderId: string): Promise<AdminRefund[]> {
    return (await this.deps.db.repos.refunds.forOrder(orderId)).map(refundView);
  }
}
