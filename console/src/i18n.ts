/**
 * Every string the console shows, Chinese and English side by side in one dictionary. Chinese by
 * default; English when the browser prefers it or the merchant switches (kept for the tab only).
 * API error codes use the shared zh/en messages (shared/src/errors.ts).
 */
import { ref } from "vue";
import { errorMessage, isErrorCode, type AdminScope, type OrderState } from "@minipay/shared";

export type Lang = "zh" | "en";

const DICT = {
  appName: ["Minipay 商户后台", "Minipay Console"],
  switchLang: ["English", "中文"],
  signIn: ["登录", "Sign in"],
  signOut: ["退出", "Sign out"],
  apiKey: ["API 密钥", "API key"],
  apiKeyHint: [
    "密钥只保存在本标签页（会话存储），关闭即忘记。可用 npx minipay key create 创建。",
    "The key stays in this tab only (session storage) and is forgotten when it closes. Make one with npx minipay key create.",
  ],
  signedInAs: ["当前密钥", "Signed in as"],
  noPages: ["这个密钥没有可用的页面", "This key cannot open any page"],
  loading: ["加载中…", "Loading…"],
  empty: ["没有数据", "Nothing here"],
  retry: ["重试", "Retry"],
  loadMore: ["加载更多", "Load more"],
  allLoaded: ["已全部加载", "All loaded"],
  cancel: ["取消", "Cancel"],
  confirm: ["确定", "Confirm"],
  save: ["保存", "Save"],
  back: ["返回", "Back"],
  search: ["查询", "Search"],
  reset: ["重置", "Reset"],
  missingScope: ["缺少权限：{scope}", "Missing scope: {scope}"],
  // navigation
  "page.dashboard": ["概览", "Dashboard"],
  "page.orders": ["订单", "Orders"],
  "page.products": ["商品", "Products"],
  "page.anomalies": ["异常", "Anomalies"],
  "page.refunds": ["退款", "Refunds"],
  "page.reconciliation": ["对账", "Reconciliation"],
  "page.webhooks": ["Webhooks", "Webhooks"],
  "page.keys": ["API 密钥", "API keys"],
  "page.audit": ["操作日志", "Audit log"],
  // orders
  "orders.state": ["状态", "State"],
  "orders.anyState": ["全部状态", "Any state"],
  "orders.createdFrom": ["下单日期从", "Created from"],
  "orders.createdTo": ["至", "to"],
  "orders.minYuan": ["最低金额（元）", "Min amount (¥)"],
  "orders.maxYuan": ["最高金额（元）", "Max amount (¥)"],
  "orders.outTradeNo": ["商户订单号", "Out trade no."],
  "orders.export": ["导出 CSV", "Export CSV"],
  "orders.badAmount": ["金额格式不正确", "Not an amount"],
  "orders.total": ["金额", "Amount"],
  "orders.refunded": ["已退款", "Refunded"],
  "orders.createdAt": ["下单时间", "Created"],
  "orders.paidAt": ["支付时间", "Paid"],
  "orders.description": ["描述", "Description"],
  "orders.transactionId": ["微信支付单号", "WeChat transaction"],
  "orders.pageSize": ["每次加载", "Per page"],
  "orders.loaded": ["已加载 {n} 条", "{n} loaded"],
  // order detail
  "order.items": ["商品", "Items"],
  "order.events": ["事件", "Events"],
  "order.attempts": ["支付尝试", "Payment attempts"],
  "order.anomalies": ["异常", "Anomalies"],
  "order.close": ["关闭订单", "Close order"],
  "order.sync": ["向微信查询", "Sync with WeChat"],
  "order.closeConfirm": [
    "关闭后买家将无法再支付这笔订单（{amount}），确定关闭吗？",
    "The buyer will no longer be able to pay this order ({amount}). Close it?",
  ],
  "order.syncConfirm": ["向微信查询这笔订单的支付状态？", "Ask WeChat for this order's payment state?"],
  "order.done": ["已完成", "Done"],
  "order.quantity": ["数量", "Qty"],
  "order.unitPrice": ["单价", "Unit price"],
  "order.source": ["来源", "Source"],
  "order.method": ["方式", "Method"],
  "order.superseded": ["已被替换", "superseded"],
  "order.expiresAt": ["过期时间", "Expires"],
  // refunds (order detail, dialog, list)
  "refund.title": ["退款", "Refunds"],
  "refund.new": ["退款", "Refund"],
  "refund.remainder": ["可退金额", "Refundable"],
  "refund.amount": ["退款金额（元）", "Amount (¥)"],
  "refund.reason": ["退款原因（可选，买家可见）", "Reason (optional, the buyer sees it)"],
  "refund.send": ["提交退款", "Refund"],
  "refund.confirm": [
    "向买家退款 {amount}（订单 {outTradeNo}）？退款提交后无法撤回。",
    "Refund {amount} to the buyer (order {outTradeNo})? A refund cannot be taken back once sent.",
  ],
  "refund.badAmount": ["金额格式不正确（最多两位小数）", "Not an amount (at most two decimals)"],
  "refund.zero": ["退款金额须大于 0", "The amount must be above 0"],
  "refund.overRemainder": ["超过可退金额 {amount}", "More than the refundable {amount}"],
  "refund.badReason": ["原因须为一行，最多 80 字", "The reason must be one line of at most 80 characters"],
  "refund.sent": ["退款已提交：{amount}", "Refund sent: {amount}"],
  "refund.outRefundNo": ["商户退款单号", "Out refund no."],
  "refund.state": ["退款状态", "Refund state"],
  "refund.lastError": ["最近错误", "Last error"],
  "refund.anyState": ["全部状态", "Any state"],
  "refund.order": ["订单", "Order"],
  "refund.createdAt": ["申请时间", "Requested"],
  "refund.succeededAt": ["到账时间", "Succeeded"],
  "refundState.pending": ["待提交", "Pending"],
  "refundState.processing": ["处理中", "Processing"],
  "refundState.succeeded": ["成功", "Succeeded"],
  "refundState.failed": ["失败", "Failed"],
  "refundState.closed": ["已关闭", "Closed"],
  // webhooks
  "wh.endpoints": ["接收地址", "Endpoints"],
  "wh.deliveries": ["投递记录", "Deliveries"],
  "wh.orderDeliveries": ["Webhook 投递", "Webhook deliveries"],
  "wh.new": ["新建接收地址", "New endpoint"],
  "wh.url": ["URL", "URL"],
  "wh.events": ["事件", "Events"],
  "wh.description": ["说明", "Description"],
  "wh.enabled": ["已启用", "Enabled"],
  "wh.disabled": ["已停用", "Disabled"],
  "wh.enable": ["启用", "Enable"],
  "wh.disable": ["停用", "Disable"],
  "wh.delete": ["删除", "Delete"],
  "wh.rotate": ["更换密钥", "Rotate secret"],
  "wh.deleteConfirm": [
    "删除接收地址 {url}？它将不再收到事件，未完成的投递会停止。",
    "Delete the endpoint {url}? It gets no more events and its pending deliveries stop.",
  ],
  "wh.rotateConfirm": [
    "为 {url} 更换签名密钥？旧密钥在 24 小时内仍会同时签名。",
    "Rotate the signing secret of {url}? The old secret keeps signing too for 24 hours.",
  ],
  "wh.secretOnce": [
    "签名密钥只显示这一次，请立即复制并保存到您的服务器配置中：",
    "The signing secret is shown only this once: copy it into your server's configuration now:",
  ],
  "wh.copy": ["复制", "Copy"],
  "wh.copied": ["已复制", "Copied"],
  "wh.previousUntil": ["旧密钥有效至 {at}", "Old secret signs until {at}"],
  "wh.needUrl": ["请填写 https:// 开头的地址", "An https:// URL is needed"],
  "wh.needEvent": ["至少选择一个事件", "Pick at least one event"],
  "wh.endpoint": ["接收地址", "Endpoint"],
  "wh.anyEndpoint": ["全部地址", "Any endpoint"],
  "wh.event": ["事件", "Event"],
  "wh.anyEvent": ["全部事件", "Any event"],
  "wh.status": ["状态", "Status"],
  "wh.anyStatus": ["全部状态", "Any status"],
  "wh.attempts": ["尝试 {n} 次", "{n} attempts"],
  "wh.showAttempts": ["查看尝试", "Show attempts"],
  "wh.hideAttempts": ["收起", "Hide"],
  "wh.nextAttempt": ["下次尝试", "Next attempt"],
  "wh.latency": ["耗时", "Latency"],
  "wh.response": ["响应（前 1 KB）", "Answer (first 1 KB)"],
  "wh.noAnswer": ["无响应", "no answer"],
  "wh.retry": ["重新投递", "Retry"],
  "wh.searched": [
    "已在最近 {n} 条投递中查找（接口不按订单筛选）",
    "Searched the latest {n} deliveries (the API has no order filter)",
  ],
  "wh.retryConfirm": [
    "立即重新投递这个事件？接收方会再收到一次相同 id 的事件。",
    "Send this event again now? The receiver gets the same event id once more.",
  ],
  "whStatus.pending": ["待投递", "Pending"],
  "whStatus.succeeded": ["成功", "Succeeded"],
  "whStatus.failed": ["失败", "Failed"],
  // reconciliation
  "recon.runFor": ["对账日期（北京时间）", "Bill date (Shanghai)"],
  "recon.run": ["开始对账", "Reconcile"],
  "recon.date": ["账单日期", "Bill date"],
  "recon.status": ["结果", "Result"],
  "recon.trigger": ["触发", "Trigger"],
  "recon.rows": ["账单行数", "Bill rows"],
  "recon.matched": ["一致", "Matched"],
  "recon.mismatches": ["差异", "Mismatches"],
  "recon.noBill": ["微信无当日账单", "no bill from WeChat"],
  "recon.completed": ["完成", "Completed"],
  "recon.failed": ["失败", "Failed"],
  "recon.schedule": ["定时", "scheduled"],
  "recon.admin": ["手动", "by hand"],
  "recon.finishedAt": ["完成时间", "Finished"],
  "recon.noMismatch": ["没有差异", "No mismatches"],
  "recon.detail": ["明细", "Detail"],
  "recon.wechat": ["微信", "WeChat"],
  "recon.ours": ["本系统", "Ours"],
  "recon.badDate": ["请选择日期", "Pick a date"],
  "mismatch.missing_here": ["本系统缺少", "Missing here"],
  "mismatch.missing_at_wechat": ["微信缺少", "Missing at WeChat"],
  "mismatch.amount_mismatch": ["金额不符", "Amount differs"],
  "mismatch.state_mismatch": ["状态不符", "State differs"],
  "mismatch.refund_mismatch": ["退款不符", "Refund differs"],
  // dashboard
  "dash.paid30": ["近 30 天支付金额", "Paid, last 30 days"],
  "dash.paidCount30": ["近 30 天支付笔数", "Paid orders, last 30 days"],
  "dash.today": ["今日支付", "Paid today"],
  "dash.conversion": ["转化率（下单 → 支付）", "Conversion (created → paid)"],
  "dash.openAnomalies": ["未处理异常", "Open anomalies"],
  "dash.chartAmount": ["支付金额（元）", "Paid (¥)"],
  "dash.chartCount": ["支付笔数", "Paid orders"],
  "dash.refunded30": ["近 30 天退款", "Refunded, last 30 days"],
  "dash.webhookFailures": ["近 30 天 Webhook 投递失败", "Failed webhook deliveries, last 30 days"],
  // products
  "products.new": ["新建商品", "New product"],
  "products.edit": ["编辑", "Edit"],
  "products.name": ["名称", "Name"],
  "products.id": ["商品 ID（可选）", "Product id (optional)"],
  "products.description": ["描述", "Description"],
  "products.price": ["价格（元）", "Price (¥)"],
  "products.stock": ["库存", "Stock"],
  "products.imageUrl": ["图片地址", "Image URL"],
  "products.active": ["在售", "On sale"],
  "products.archived": ["已下架", "Archived"],
  "products.archive": ["下架", "Archive"],
  "products.unarchive": ["重新上架", "Put back on sale"],
  "products.archiveConfirm": [
    "下架「{name}」？买家将看不到它。",
    'Archive "{name}"? Shoppers will no longer see it.',
  ],
  "products.adjust": ["调整库存", "Adjust stock"],
  "products.delta": ["变动数量（负数为减少）", "Change (negative to remove)"],
  "products.reason": ["原因", "Reason"],
  "products.badPrice": ["价格须为大于 0 的金额", "The price must be an amount above 0"],
  "products.badDelta": ["变动须为非零整数", "The change must be a whole number, not 0"],
  "products.needReason": ["请填写原因", "Say why"],
  "products.needName": ["请填写名称", "A name is needed"],
  // anomalies
  "anomalies.open": ["未处理", "Open"],
  "anomalies.resolved": ["已处理", "Resolved"],
  "anomalies.kind": ["类型", "Kind"],
  "anomalies.order": ["订单", "Order"],
  "anomalies.facts": ["详情", "Facts"],
  "anomalies.resolve": ["处理", "Resolve"],
  "anomalies.note": ["处理说明", "Note"],
  "anomalies.needNote": ["请填写处理说明", "A note is needed"],
  // keys
  "keys.new": ["新建密钥", "New key"],
  "keys.name": ["名称", "Name"],
  "keys.scopes": ["权限", "Scopes"],
  "keys.prefix": ["前缀", "Prefix"],
  "keys.lastUsed": ["最近使用", "Last used"],
  "keys.never": ["从未", "never"],
  "keys.revoke": ["吊销", "Revoke"],
  "keys.revoked": ["已吊销", "revoked"],
  "keys.revokeConfirm": [
    "吊销密钥「{name}」？使用它的程序将立即无法访问。",
    'Revoke key "{name}"? Anything using it stops working at once.',
  ],
  "keys.shownOnce": [
    "请立即复制并妥善保存，此密钥只显示这一次：",
    "Copy and store it now; this key is shown only once:",
  ],
  "keys.needScope": ["至少选择一个权限", "Pick at least one scope"],
  // audit
  "audit.at": ["时间", "When"],
  "audit.actor": ["操作者", "Who"],
  "audit.action": ["操作", "Action"],
  "audit.target": ["对象", "Target"],
  "audit.change": ["变更", "Change"],
} as const satisfies Record<string, readonly [string, string]>;

export type MessageKey = keyof typeof DICT;

/** Every message in both languages (for the test that both sides carry the same placeholders). */
export const allMessages = (): [MessageKey, string, string][] =>
  (Object.keys(DICT) as MessageKey[]).map((k) => [k, DICT[k][0], DICT[k][1]]);

const STATE_NAMES: Record<OrderState, readonly [string, string]> = {
  created: ["待支付", "Created"],
  paying: ["支付中", "Paying"],
  paid: ["已支付", "Paid"],
  closed: ["已关闭", "Closed"],
  expired: ["已过期", "Expired"],
  failed: ["失败", "Failed"],
  refunding: ["退款中", "Refunding"],
  partially_refunded: ["部分退款", "Partially refunded"],
  refunded: ["已退款", "Refunded"],
};

/** Chinese unless the browser's first language is not Chinese. */
export function initialLang(languages: readonly string[]): Lang {
  const first = (languages[0] ?? "zh").toLowerCase();
  return first.startsWith("zh") ? "zh" : "en";
}

export const lang = ref<Lang>(
  initialLang(typeof navigator === "undefined" ? [] : (navigator.languages ?? [navigator.language])),
);

const pick = (pair: readonly [string, string], l: Lang) => (l === "zh" ? pair[0] : pair[1]);

/** The message for `key` in the current language, `{name}` placeholders filled from `vars`. */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  return pick(DICT[key], lang.value).replace(/\{(\w+)\}/g, (_m, v: string) => String(vars[v] ?? `{${v}}`));
}

export const stateName = (s: OrderState): string => pick(STATE_NAMES[s], lang.value);

/** An API error for a person: the shared message for its code, and the missing scope on a 403. */
export function errorText(err: unknown): string {
  const e = err as { code?: unknown; requiredScope?: AdminScope | null };
  const code = typeof e?.code === "string" ? e.code : "NETWORK";
  const base = isErrorCode(code)
    ? errorMessage(code, lang.value)
    : code === "NETWORK"
      ? pick(["网络异常，请重试", "Network problem, please retry"], lang.value)
      : pick(["服务返回了无法识别的内容", "The server answered something unexpected"], lang.value);
  const scope = e?.requiredScope ? ` · ${t("missingScope", { scope: e.requiredScope })}` : "";
  return `${base} (${code})${scope}`;
}
