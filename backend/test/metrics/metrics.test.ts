/**
 * GET /metrics after a real pay flow (backend + sandbox over HTTP, job engine on): the families
 * the flow touches have non-zero samples, labelled by route template (never a raw id), and the
 * bearer token is enforced when one is configured.
 */
import { shanghaiDate } from "../../src/domain/reconcile";
import { RECONCILE_MERCHANT_QUEUE } from "../../src/jobs/reconciliation-queues";
import { eventually, payingOrder, startStack, useSandbox, type Stack } from "../helpers/sandbox-stack";

const sandbox = useSandbox();
const TOKEN = "metrics-token-0123456789";

/** The value of every sample of `name` whose labels include all of `labels`, summed. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelPart = /\{(.*)\}/.exec(line)?.[1] ?? "";
    if (Object.entries(labels).every(([k, v]) => labelPart.includes(`${k}="${v}"`)))
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

async function scrape(stack: Stack, token: string | null) {
  const res = await fetch(`${stack.h.url}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
}

describe("GET /metrics", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(sandbox, "v3-public-key", { jobs: { scheduleSeconds: [600] } });
  });
  afterAll(() => stack?.close());

  it("shows the families a pay flow touches, with non-zero counts", async () => {
    const { order, prepayId, token } = await payingOrder(stack);
    await stack.sb.pay({ prepay_id: prepayId });
    await eventually(async () => (await stack.client(token).order(order.id)).state === "paid", 20_000);

    const m = await eventually(async () => {
      const s = await scrape(stack, null);
      return sample(s.text, "minipay_notifies_total", { result: "applied" }) > 0 ? s : null;
    });
    expect(m.status).toBe(200);
    expect(m.type).toContain("text/plain");
    // HTTP by route template and status: the order route is labelled with `:id`, not the uuid.
    expect(
      sample(m.text, "minipay_http_request_duration_seconds_count", {
        route: "/api/v1/orders",
        method: "POST",
        status: "201",
      }),
    ).toBeGreaterThan(0);
    expect(m.text).not.toContain(order.id);
    expect(sample(m.text, "minipay_notifies_total", { version: "v3", kind: "pay", result: "applied" })).toBe(
      1,
    );
    expect(sample(m.text, "minipay_order_transitions_total", { from: "created", to: "paying" })).toBe(1);
    expect(sample(m.text, "minipay_order_transitions_total", { from: "paying", to: "paid" })).toBe(1);
    expect(
      sample(m.text, "minipay_wechat_call_duration_seconds_count", { endpoint: "prepay", outcome: "ok" }),
    ).toBe(1);
    // The payment check and expiry jobs of the order wait in their queues.
    expect(sample(m.text, "minipay_job_queue_depth", { queue: "order-expiry" })).toBeGreaterThan(0);
    // Families no pay flow touches are present at zero.
    expect(m.text).toContain('minipay_refunds_total{result="succeeded"} 0');
    expect(m.text).toContain('minipay_reconciliation_mismatches_total{kind="amount_mismatch"} 0');
    expect(m.text).toContain("# TYPE minipay_job_failures_total counter");
  });

  it("counts WeChat errors by endpoint", async () => {
    const { order, token } = await payingOrder(stack);
    await stack.sb.scenario({ action: "query_error", mode: "http_500", times: 3 });
    try {
      await stack.client(token).verify(order.id);
    } catch {
      // WeChat's 500 becomes our upstream error; only the count matters here.
    } finally {
      await stack.sb.clearScenarios();
    }
    const m = await scrape(stack, null);
    expect(sample(m.text, "minipay_wechat_call_errors_total", { endpoint: "queryOrder" })).toBeGreaterThan(0);
    expect(sample(m.text, "minipay_wechat_call_duration_seconds_count", { endpoint: "queryOrder" })).toBe(
      sample(m.text, "minipay_wechat_call_errors_total", { endpoint: "queryOrder" }),
    );
  });

  it("counts job failures by queue and reconciliation mismatches by kind", async () => {
    // A reconciliation job for a merchant that does not exist throws: pg-boss records a failure.
    await stack.h
      .jobs()!
      .send(
        RECONCILE_MERCHANT_QUEUE,
        { merchantId: "mch_nobody", day: "2026-11-20" },
        { startAfter: new Date(), singletonKey: "nobody" },
      );
    await eventually(async () => {
      const s = await scrape(stack, null);
      return sample(s.text, "minipay_job_failures_total", { queue: RECONCILE_MERCHANT_QUEUE }) > 0;
    }, 30_000);

    await stack.sb.scenario({
      match: { out_trade_no: "MPMETRICS0001", mchid: stack.merchant.credentials.mchid },
      action: "bill_missing_here",
    });
    try {
      await stack.h.reconciliations.run(stack.merchantId, shanghaiDate(new Date()), "admin");
    } finally {
      await stack.sb.clearScenarios();
    }
    const m = await scrape(stack, null);
    expect(sample(m.text, "minipay_reconciliation_mismatches_total", { kind: "missing_here" })).toBe(1);
    expect(
      sample(m.text, "minipay_wechat_call_duration_seconds_count", { endpoint: "downloadTradeBill" }),
    ).toBe(1);
  });
});

describe("GET /metrics with METRICS_TOKEN", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(sandbox, "v2-hmac", { metricsToken: TOKEN });
  });
  afterAll(() => stack?.close());

  it("answers 401 without the token or with a wrong one, and the text with it", async () => {
    const none = await scrape(stack, null);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.text).error.code).toBe("UNAUTHENTICATED");
    expect((await scrape(stack, `${TOKEN}x`)).status).toBe(401);
    const ok = await scrape(stack, TOKEN);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain("# TYPE minipay_http_request_duration_seconds histogram");
  });

  it("has its own registry: another app's requests are not in it", async () => {
    const text = (await scrape(stack, TOKEN)).text;
    expect(sample(text, "minipay_http_request_duration_seconds_count", { route: "/api/v1/orders" })).toBe(0);
    expect(sample(text, "minipay_notifies_total")).toBe(0);
  });
});
