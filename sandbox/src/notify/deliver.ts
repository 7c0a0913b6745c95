/**
 * Delivers notifies like WeChat: POST to notify_url, success only as the protocol defines it
 * (v2: return_code SUCCESS in the XML answer; v3: any 2xx), otherwise retry on WeChat's schedule
 * (compressed by timeScale). Every attempt is recorded. Fault scenarios shape each delivery.
 */
import crypto from "node:crypto";
import axios from "axios";
import type { KeyMaterial, MerchantMaterial } from "../crypto/keys";
import { fromXml } from "../crypto/v2";
import type { Scenarios } from "./scenarios";
import { RETRY_SCHEDULE_SECONDS } from "./schedule";
import { paymentNotify, refundNotify, type Faults, type WireRequest } from "./payloads";
import type { SandboxOrder, SandboxRefund } from "../state/store";

export interface Attempt {
  id: string;
  out_trade_no: string;
  out_refund_no?: string;
  kind: "pay" | "refund" | "probe";
  attempt: number;
  at: string;
  url: string;
  status: number | null;
  responseBody: string | null;
  ok: boolean;
  error: string | null;
  dropped?: boolean;
}

export class Notifier {
  readonly attempts: Attempt[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly keys: KeyMaterial,
    private readonly scenarios: Scenarios,
    private readonly now: () => number,
    private readonly timeScale: number,
  ) {}

  private later(ms: number, fn: () => void): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(t);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private async post(
    url: string,
    req: WireRequest,
    version: "v2" | "v3",
  ): Promise<{ status: number | null; body: string | null; ok: boolean; error: string | null }> {
    try {
      const res = await axios.post(url, req.body, {
        headers: req.headers,
        timeout: Math.max(1000, 5000 * Math.min(1, this.timeScale)),
        responseType: "text",
        transformResponse: (r) => r,
        validateStatus: () => true,
        maxRedirects: 0,
      });
      const body = typeof res.data === "string" ? res.data : "";
      let ok: boolean;
      if (version === "v3") ok = res.status >= 200 && res.status < 300;
      else
        ok = await fromXml(body).then(
          (x) => x.return_code === "SUCCESS",
          () => false,
        );
      return { status: res.status, body: body.slice(0, 500), ok, error: null };
    } catch (err) {
      return { status: null, body: null, ok: false, error: (err as Error).message };
    }
  }

  payment(m: MerchantMaterial, order: SandboxOrder): void {
    this.run(
      m,
      order.notifyUrl,
      order.outTradeNo,
      undefined,
      "pay",
      { mchid: m.mchid, outTradeNo: order.outTradeNo },
      (f) => paymentNotify(this.keys, m, order, this.now(), f),
    );
  }

  refund(m: MerchantMaterial, refund: SandboxRefund): void {
    if (!refund.notifyUrl) return;
    this.run(
      m,
      refund.notifyUrl,
      refund.outTradeNo,
      refund.outRefundNo,
      "refund",
      { mchid: m.mchid, outTradeNo: refund.outTradeNo },
      (f) => refundNotify(this.keys, m, refund, this.now(), f),
    );
  }

  private run(
    m: MerchantMaterial,
    url: string,
    outTradeNo: string,
    outRefundNo: string | undefined,
    kind: "pay" | "refund",
    match: { mchid: string; outTradeNo: string },
    build: (f: Faults) => WireRequest,
  ): void {
    const rule = (a: Parameters<Scenarios["find"]>[0]) => this.scenarios.find(a, match);
    const record = (a: Omit<Attempt, "id" | "at" | "url" | "out_trade_no" | "out_refund_no">) =>
      this.attempts.push({
        id: `nt_${crypto.randomBytes(6).toString("hex")}`,
        out_trade_no: outTradeNo,
        ...(outRefundNo ? { out_refund_no: outRefundNo } : {}),
        at: new Date(this.now()).toISOString(),
        url,
        ...a,
      });

    if (rule("drop_notify")) {
      record({
        kind,
        attempt: 1,
        status: null,
        responseBody: null,
        ok: false,
        error: "dropped by scenario",
        dropped: true,
      });
      return;
    }
    const faults = (): Faults => ({
      tamperAmount: !!rule("tamper_amount"),
      skewSeconds: rule("skew_timestamp")?.seconds,
      unknownSerial: !!rule("unknown_serial"),
    });
    const attempt = async (n: number) => {
      if (this.closed) return;
      const copies = n === 1 ? (rule("duplicate_notify")?.times ?? 1) : 1;
      const results = await Promise.all(
        Array.from({ length: copies }, async () => {
          const r = await this.post(url, build(faults()), m.apiVersion);
          record({ kind, attempt: n, status: r.status, responseBody: r.body, ok: r.ok, error: r.error });
          return r.ok;
        }),
      );
      if (results.some(Boolean) || this.closed) return;
      const wait = RETRY_SCHEDULE_SECONDS[n - 1];
      if (wait === undefined) return; // schedule exhausted: WeChat gives up too
      this.later(wait * 1000 * this.timeScale, () => void attempt(n + 1));
    };
    const start = async () => {
      if (kind === "pay" && rule("signtest_probe_first")) {
        const r = await this.post(url, build({ ...faults(), probe: true }), m.apiVersion);
        record({
          kind: "probe",
          attempt: 0,
          status: r.status,
          responseBody: r.body,
          ok: r.ok,
          error: r.error,
        });
      }
      await attempt(1);
    };
    const delay =
      rule("delay_notify")?.ms ?? (rule("reorder_notify") ? (rule("reorder_notify")!.ms ?? 1000) : 0);
    if (delay > 0) this.later(rule("delay_notify") ? delay * this.timeScale : delay, () => void start());
    else this.later(0, () => void start());
  }
}
