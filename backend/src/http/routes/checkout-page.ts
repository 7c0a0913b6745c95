/**
 * The hosted checkout page as HTML: server-rendered, one small inline script (allowed by a per-
 * response nonce; the CSP allows nothing else), bilingual (Chinese first, English below), and laid
 * out for a phone first, centred in a card on a desktop.
 */
import { formatYuan } from "@minipay/shared";

export interface CheckoutView {
  merchantName: string;
  amountFen: number;
  description: string;
  phase: "pending" | "paid" | "over";
  qrDataUrl: string | null;
  expiresAt: Date;
  returnUrl: string | null;
}

const escapeHtml = (v: string) =>
  v.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** Nothing but the page's own nonce-tagged style and script, data: images and calls to itself. */
export function checkoutCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "img-src data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** A value inside the inline script: JSON with `<` escaped, so no string can end the script element. */
const js = (v: unknown) => JSON.stringify(v).replace(/</g, "\\u003c");

const TEXT = {
  pending: ["请使用微信扫一扫完成支付", "Scan with WeChat to pay"],
  paid: ["支付成功", "Payment received"],
  over: ["订单已关闭或已过期", "This order is closed or has expired"],
  waiting: ["等待支付…", "Waiting for payment…"],
  noQr: ["二维码暂时无法生成，请稍后刷新页面", "The QR code is not available right now; refresh in a moment"],
  back: ["返回商户", "Back to the merchant"],
  expires: ["订单有效期至", "Pay before"],
} as const;

const two = (k: keyof typeof TEXT) =>
  `<span lang="zh-CN">${TEXT[k][0]}</span><span class="en" lang="en">${TEXT[k][1]}</span>`;

export function renderCheckout(v: CheckoutView, token: string, nonce: string): string {
  const expires = new Date(v.expiresAt.getTime() + 8 * 3600_000).toISOString().slice(0, 16).replace("T", " ");
  const qr =
    v.phase === "pending"
      ? v.qrDataUrl
        ? `<img id="qr" src="${escapeHtml(v.qrDataUrl)}" width="240" height="240" alt="微信支付二维码 WeChat Pay QR code">`
        : `<p id="qr-missing" class="note">${two("noQr")}</p>`
      : "";
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>收银台 Checkout</title>
<style nonce="${nonce}">
  *{box-sizing:border-box}
  body{margin:0;font-family:-apple-system,"PingFang SC","Microsoft YaHei",system-ui,sans-serif;background:#f2f3f5;color:#1d1d1f}
  main{max-width:420px;margin:0 auto;padding:24px 16px;min-height:100vh;display:flex;flex-direction:column;align-items:stretch}
  .card{background:#fff;border-radius:12px;padding:24px 20px;text-align:center;box-shadow:0 1px 3px rgba(0,0,0,.08)}
  .merchant{font-size:15px;color:#555;margin:0 0 8px}
  .amount{font-size:40px;font-weight:600;margin:4px 0 6px;letter-spacing:.5px}
  .desc{font-size:15px;margin:0 0 16px;word-break:break-word}
  #qr{width:min(240px,70vw);height:auto;image-rendering:pixelated;border:1px solid #eee;border-radius:8px}
  .status{margin:16px 0 0;font-size:17px;font-weight:500}
  .status span,.note span{display:block}
  .en{font-size:.85em;color:#666;font-weight:400}
  .note{font-size:14px;color:#666}
  body[data-phase="paid"] .status{color:#07a35a}
  body[data-phase="over"] .status{color:#b3261e}
  #back{display:none;margin-top:20px;padding:12px;border-radius:8px;background:#07c160;color:#fff;text-decoration:none}
  #back.shown{display:block}
  .expires{margin-top:12px;font-size:13px;color:#888}
  @media (min-width:720px){main{justify-content:center}}
</style>
</head>
<body data-phase="${v.phase}">
<main>
  <div class="card">
    <p class="merchant">${escapeHtml(v.merchantName)}</p>
    <p class="amount" id="amount">¥${formatYuan(v.amountFen)}</p>
    <p class="desc" id="desc">${escapeHtml(v.description)}</p>
    <div id="qr-box">${qr}</div>
    <p class="status" id="status" role="status" aria-live="polite">${two(v.phase)}</p>
    <p class="note" id="waiting"${v.phase === "pending" ? "" : " hidden"}>${two("waiting")}</p>
    <p class="expires" id="expires">${TEXT.expires[0]} / ${TEXT.expires[1]}: ${expires} (北京时间 UTC+8)</p>
    <a id="back" href="#" rel="noreferrer">${two("back")}</a>
  </div>
</main>
<script nonce="${nonce}">
(function () {
  var TEXT = ${js({ paid: TEXT.paid, over: TEXT.over })};
  var statusUrl = ${js(`${token}/status`)};
  var initialReturn = ${js(v.phase === "pending" ? null : v.returnUrl)};
  function line(el, pair) {
    el.textContent = "";
    var zh = document.createElement("span"); zh.lang = "zh-CN"; zh.textContent = pair[0];
    var en = document.createElement("span"); en.lang = "en"; en.className = "en"; en.textContent = pair[1];
    el.appendChild(zh); el.appendChild(en);
  }
  function finish(phase, returnUrl) {
    document.body.setAttribute("data-phase", phase);
    line(document.getElementById("status"), TEXT[phase]);
    document.getElementById("waiting").hidden = true;
    var box = document.getElementById("qr-box"); if (box) box.textContent = "";
    if (returnUrl) {
      var back = document.getElementById("back");
      back.href = returnUrl; back.className = "shown";
      setTimeout(function () { window.location.assign(returnUrl); }, 2500);
    }
  }
  function poll() {
    fetch(statusUrl, { cache: "no-store", credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s && s.phase !== "pending") return finish(s.phase, s.returnUrl);
        setTimeout(poll, 3000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (document.body.getAttribute("data-phase") === "pending") setTimeout(poll, 3000);
  else finish(document.body.getAttribute("data-phase"), initialReturn);
})();
</script>
</body>
</html>
`;
}

export function renderCheckoutNotFound(nonce: string): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>收银台 Checkout</title>
<style nonce="${nonce}">body{font-family:system-ui,sans-serif;text-align:center;padding:48px 16px;color:#444}</style></head>
<body><p>支付链接无效</p><p lang="en">This payment link is not valid</p></body></html>
`;
}
