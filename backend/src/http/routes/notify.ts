/**
 * WeChat notify endpoints: outside session auth, raw bytes kept for signature checks. The merchant
 * comes from the URL and is looked up before the body is read, because its keys are what verify
 * (and for v3 decrypt) the notify; an unknown merchant is a 404 without reading anything. The
 * answer (status, content type, body) comes from the gateway so it is exactly what WeChat expects.
 */
import Router from "@koa/router";
import type { Context } from "koa";
import type { MerchantContext, MerchantRegistry } from "../../merchants/registry";
import type { NotifyService } from "../../services/notify";
import { isV3RefundEvent, type RefundNotifyService } from "../../services/refund-notify";
import { rawBody } from "../middleware/body";
import { xmlBody, type XmlRead } from "../middleware/xml-body";
import { sendError } from "../middleware/errors";

const VERSIONS = new Set(["v2", "v3"]);

export function notifyRouter(
  registry: MerchantRegistry,
  notify: NotifyService,
  bodyLimit: number,
  /** Refund notifies; without it the refund URL does not exist. */
  refunds?: RefundNotifyService,
): Router {
  const r = new Router({ prefix: "/notify/wechat" });
  const read = rawBody(bodyLimit);
  // v2 bodies are XML: koa-xml-body behind our guards (middleware/xml-body.ts).
  const readXml = xmlBody(bodyLimit);

  const handle = async (
    ctx: Context,
    m: MerchantContext | null,
    version: string,
    kind: "pay" | "refund" = "pay",
  ) => {
    if (!m || !VERSIONS.has(version) || (kind === "refund" && !refunds)) return sendError(ctx, "NOT_FOUND");
    await (version === "v2" ? readXml : read)(ctx, async () => {
      const xml = ctx.state.xml as XmlRead | undefined;
      const n = {
        headers: ctx.headers,
        rawBody: ctx.state.rawBody as Buffer,
        parsedXml: xml?.parsed,
        xmlRefused: xml?.refused,
      };
      // v3 sends refund notifies to whichever URL the refund named; event_type says which they are.
      const refund = kind === "refund" || (version === "v3" && !!refunds && isV3RefundEvent(n.rawBody));
      const ack = refund
        ? await refunds!.handle(m, version as "v2" | "v3", n)
        : await notify.handlePayment(m, version as "v2" | "v3", n);
      ctx.status = ack.status;
      ctx.type = ack.contentType;
      ctx.body = ack.body;
    });
  };

  r.post("/:merchantId/:version/pay", async (ctx) => {
    const id = ctx.params.merchantId!;
    await handle(ctx, /^[A-Za-z0-9_-]{1,64}$/.test(id) ? await registry.byId(id) : null, ctx.params.version!);
  });
  r.post("/:merchantId/:version/refund", async (ctx) => {
    const id = ctx.params.merchantId!;
    await handle(
      ctx,
      /^[A-Za-z0-9_-]{1,64}$/.test(id) ? await registry.byId(id) : null,
      ctx.params.version!,
      "refund",
    );
  });
  // Legacy URLs, before merchant ids were in the path: WeChat keeps the notify URL of every order
  // already placed, so these stay and belong to the oldest merchant.
  r.post("/:version/pay", async (ctx) => {
    await handle(ctx, await registry.legacy(), ctx.params.version!);
  });
  return r;
}
