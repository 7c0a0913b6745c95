/** The cashier page: what wx.requestPayment would show, as a plain HTML form a person or Playwright can use. */
import QRCode from "qrcode";
import type { SandboxOrder } from "../state/store";

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const yuan = (fen: number) => `¥${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, "0")}`;

const STYLE = `body{font-family:system-ui,sans-serif;max-width:420px;margin:40px auto;padding:0 16px;color:#222}
.card{border:1px solid #ddd;border-radius:12px;padding:24px;text-align:center}
.amount{font-size:36px;font-weight:600;margin:12px 0}.muted{color:#777;font-size:13px}
button{font-size:17px;padding:12px 0;width:100%;border-radius:8px;border:0;margin-top:12px;cursor:pointer}
.pay{background:#07c160;color:#fff}.cancel{background:#eee}`;

export async function cashierPage(
  o: SandboxOrder,
  p: { openid?: string; returnUrl?: string; codeUrl?: string },
): Promise<string> {
  const qr = p.codeUrl
    ? `<p><img alt="QR" data-test="cashier-qr" src="${await QRCode.toDataURL(p.codeUrl, { margin: 1, width: 200 })}"></p>`
    : "";
  const hidden = (name: string, v: string | null | undefined) =>
    v ? `<input type="hidden" name="${name}" value="${esc(v)}">` : "";
  const payable = o.tradeState === "NOTPAY" || o.tradeState === "USERPAYING" || o.tradeState === "PAYERROR";
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>WeChat Pay sandbox cashier</title><style>${STYLE}</style></head><body>
<div class="card"><div class="muted">Minipay WeChat sandbox · 微信支付模拟收银台</div>
<div>${esc(o.description)}</div><div class="amount" data-test="cashier-amount">${yuan(o.totalFen)}</div>
<div class="muted">out_trade_no ${esc(o.outTradeNo)} · ${o.tradeState}</div>${qr}
<form method="post" action="/__sandbox/cashier">
${hidden("prepay_id", o.prepayId)}${hidden("code_url", p.codeUrl)}${hidden("openid", p.openid)}${hidden("return_url", p.returnUrl)}
${payable ? `<button class="pay" name="action" value="pay" data-test="cashier-pay">支付 Pay ${yuan(o.totalFen)}</button>` : `<p data-test="cashier-state">${o.tradeState}</p>`}
<button class="cancel" name="action" value="cancel" data-test="cashier-cancel">取消 Cancel</button>
</form></div></body></html>`;
}

export function resultPage(o: SandboxOrder, result: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Sandbox payment ${esc(result)}</title><style>${STYLE}</style></head>
<body><div class="card"><div class="amount" data-test="cashier-result">${result === "ok" ? "支付成功 Paid" : result === "cancel" ? "已取消 Cancelled" : "支付失败 Failed"}</div>
<div class="muted">${esc(o.outTradeNo)} · ${o.tradeState}</div></div></body></html>`;
}
