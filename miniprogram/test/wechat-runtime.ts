/**
 * A small stand-in for WeChat's logic layer, to run the built mp-weixin output in Node: every file
 * runs in a `vm` context whose globals are only what WeChat gives a mini-program (wx, App, Page,
 * Component, Behavior, getApp, getCurrentPages, timers, console, global) plus the JS built-ins. A
 * browser-only global (crypto, fetch, window, document, URL, TextEncoder…) is a ReferenceError
 * here, as on a phone.
 *
 * Pages and components are instantiated the way WeChat does it (created → attached → onLoad →
 * onShow → ready, setData with path keys), and their .wxml is interpreted just enough to read
 * text and fire taps: wx:if/elif/else, wx:for, {{expressions}}, bindtap and custom components.
 */
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";

type Dict = Record<string, any>;

// ---- WXML: parse once, render against a data object ------------------------------------------

interface WxmlNode {
  tag: string;
  attrs: Record<string, string>;
  children: (WxmlNode | string)[];
}

function parseWxml(src: string): WxmlNode {
  const root: WxmlNode = { tag: "#root", attrs: {}, children: [] };
  const stack = [root];
  const re = /<\/?([a-zA-Z][\w-]*)((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*(\/?)>|([^<]+)/g;
  for (let m: RegExpExecArray | null; (m = re.exec(src));) {
    const top = stack[stack.length - 1]!;
    if (m[4] !== undefined) {
      if (m[4].trim()) top.children.push(m[4]);
      continue;
    }
    if (m[0].startsWith("</")) {
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of m[2]!.matchAll(/([^\s=>/]+)(?:="([^"]*)")?/g)) attrs[a[1]!] = a[2] ?? "";
    const node: WxmlNode = { tag: m[1]!, attrs, children: [] };
    top.children.push(node);
    if (!m[3]) stack.push(node);
  }
  return root;
}

const exprCache = new Map<string, (scope: Dict) => unknown>();
function evalExpr(expr: string, scope: Dict): unknown {
  let f = exprCache.get(expr);
  if (!f) {
    f = new Function("scope", `with (scope) { return (${expr}); }`) as (s: Dict) => unknown;
    exprCache.set(expr, f);
  }
  try {
    return f(scope);
  } catch {
    return undefined; // WXML prints nothing for a path into undefined
  }
}

/** "{{a}}" gives the value itself; "x {{a}} y" gives a string. */
function interpolate(v: string, scope: Dict): unknown {
  const whole = /^\{\{([\s\S]*)\}\}$/.exec(v);
  if (whole && !whole[1]!.includes("}}")) return evalExpr(whole[1]!, scope);
  return v.replace(/\{\{([\s\S]*?)\}\}/g, (_, e) => {
    const r = evalExpr(e, scope);
    return r === undefined || r === null ? "" : String(r);
  });
}

export interface RenderedNode {
  tag: string;
  attrs: Dict;
  children: RenderedNode[];
  text: string;
  /** The instance whose handlers this node's bind* attributes name. */
  owner: Instance;
}

function render(node: WxmlNode, scope: Dict, owner: Instance): RenderedNode[] {
  const out: RenderedNode[] = [];
  let lastIf: boolean | null = null;
  for (const c of node.children) {
    if (typeof c === "string") {
      const text = String(interpolate(c, scope));
      out.push({ tag: "#text", attrs: {}, children: [], text, owner });
      lastIf = null;
      continue;
    }
    const a = c.attrs;
    let show = true;
    if ("wx:if" in a) show = !!interpolate(a["wx:if"]!, scope);
    else if ("wx:elif" in a) show = lastIf === false && !!interpolate(a["wx:elif"]!, scope);
    else if ("wx:else" in a) show = lastIf === false;
    if ("wx:if" in a) lastIf = show;
    else if ("wx:elif" in a) lastIf = lastIf || show;
    else if (!("wx:else" in a)) lastIf = null;
    if (!show) continue;
    const each = (s: Dict) => {
      const attrs: Dict = {};
      for (const [k, v] of Object.entries(a)) if (!k.startsWith("wx:")) attrs[k] = interpolate(v, s);
      const children = c.tag === "block" ? [] : render(c, s, owner);
      if (c.tag === "block") out.push(...render(c, s, owner));
      else out.push({ tag: c.tag, attrs, children, text: children.map((x) => x.text).join(""), owner });
    };
    if ("wx:for" in a) {
      const list = interpolate(a["wx:for"]!, scope);
      const item = a["wx:for-item"] ?? "item";
      const index = a["wx:for-index"] ?? "index";
      const entries = Array.isArray(list)
        ? list.map((v, i) => [i, v] as const)
        : typeof list === "number"
          ? Array.from({ length: list }, (_, i) => [i, i + 1] as const)
          : Object.entries((list ?? {}) as Dict);
      for (const [i, v] of entries) each(Object.assign(Object.create(scope), { [item]: v, [index]: i }));
    } else each(scope);
  }
  return out;
}

// ---- setData with WeChat's path keys ("a.b[0].c") ---------------------------------------------

function setPath(target: Dict, key: string, value: unknown) {
  const parts = key.match(/[^.[\]]+/g) ?? [key];
  let o = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i]!;
    if (o[p] === null || typeof o[p] !== "object") o[p] = /^\d+$/.test(parts[i + 1]!) ? [] : {};
    o = o[p];
  }
  o[parts[parts.length - 1]!] = value;
}

// ---- instances ----------------------------------------------------------------------------------

export interface Instance extends Dict {
  data: Dict;
  properties: Dict;
  route?: string;
  is: string;
}

interface Definition {
  options: Dict;
  wxml: WxmlNode;
  using: Record<string, string>;
  is: string;
}

interface Live {
  inst: Instance;
  def: Definition;
  children: Map<string, Live>;
  parent: Live | null;
  /** The node in the parent's tree that this component was rendered from. */
  node: RenderedNode | null;
  tree: RenderedNode[];
}

export interface WxOptions {
  /** wx.login, wx.request and wx.requestPayment (the test wires them to the backend and sandbox). */
  wx: Dict;
  /** System language as wx.getAppBaseInfo reports it ("zh_CN", "en"). */
  language?: string;
  account?: { appId: string; envVersion: "develop" | "trial" | "release" };
  /** Random bytes for wx.getRandomValues (host side). */
  randomBytes(n: number): Uint8Array;
  onError?(err: unknown): void;
}

export class WechatRuntime {
  readonly errors: unknown[] = [];
  readonly stack: Live[] = [];
  private readonly context: vm.Context;
  private readonly modules = new Map<string, Dict>();
  private readonly definitions = new Map<string, Definition>();
  private loading: string | null = null;
  private appOptions: Dict | null = null;
  private nextId = 1;
  private readonly appJson: { pages: string[] };

  constructor(
    readonly dir: string,
    private readonly opts: WxOptions,
  ) {
    this.appJson = JSON.parse(fs.readFileSync(path.join(dir, "app.json"), "utf8"));
    // Timers hand out numbers, as WeChat's do, and are all cleared by dispose().
    const live = this.timers;
    const timers = {
      setTimeout: (fn: () => void, ms?: number, ...args: unknown[]) => {
        const h = setTimeout(() => {
          live.delete(id);
          this.guard(() => fn(...(args as [])));
        }, ms);
        const id = Number(h);
        live.set(id, h);
        return id;
      },
      clearTimeout: (id: number) => (clearTimeout(live.get(id)), live.delete(id)),
      setInterval: (fn: () => void, ms?: number) => {
        const h = setInterval(() => this.guard(fn), ms);
        live.set(Number(h), h);
        return Number(h);
      },
      clearInterval: (id: number) => (clearInterval(live.get(id)), live.delete(id)),
    };
    const wx = this.createWx();
    const sandboxGlobals: Dict = {
      wx,
      App: (o: Dict) => void (this.appOptions = o),
      Page: (o: Dict) => this.define(o),
      Component: (o: Dict) => this.define(o),
      Behavior: (o: Dict) => o,
      getApp: () => this.appOptions,
      getCurrentPages: () => this.stack.map((l) => l.inst),
      ...timers,
      console: {
        log: () => undefined,
        info: () => undefined,
        debug: () => undefined,
        warn: () => undefined,
        error: (...a: unknown[]) => this.fail(a.length === 1 ? a[0] : a),
      },
    };
    sandboxGlobals.global = {}; // WeChat's `global` is its own object, not the global scope
    this.context = vm.createContext(sandboxGlobals, { name: "wechat-logic-layer" });
  }

  /** A ReferenceError for a browser-only global, or anything the app logged as an error. */
  private fail(err: unknown) {
    this.errors.push(err);
    this.opts.onError?.(err);
  }

  private guard(fn: () => unknown) {
    try {
      const r = fn();
      if (r && typeof (r as Promise<unknown>).then === "function")
        (r as Promise<unknown>).then(undefined, (e) => this.fail(e));
    } catch (e) {
      this.fail(e);
    }
  }

  /** Evaluate an expression inside the logic layer (for checks like `typeof crypto`). */
  evaluate(code: string): unknown {
    return vm.runInContext(code, this.context);
  }

  private require(file: string): Dict {
    const abs = path.resolve(this.dir, file.endsWith(".js") ? file : `${file}.js`);
    const cached = this.modules.get(abs);
    if (cached) return cached.exports;
    const module: Dict = { exports: {} };
    this.modules.set(abs, module);
    const code = fs.readFileSync(abs, "utf8");
    const fn = vm.runInContext(`(function (exports, require, module) {${code}\n})`, this.context, {
      filename: abs,
    });
    fn(module.exports, (p: string) => this.require(path.join(path.dirname(abs), p)), module);
    return module.exports;
  }

  private define(options: Dict) {
    if (!this.loading) throw new Error("Component() called outside a page or component file");
    const base = this.loading;
    const json = JSON.parse(fs.readFileSync(path.join(this.dir, `${base}.json`), "utf8"));
    const using: Record<string, string> = {};
    for (const [tag, p] of Object.entries<string>(json.usingComponents ?? {}))
      using[tag] = p.startsWith("/") ? p.slice(1) : path.join(path.dirname(base), p);
    const wxml = parseWxml(fs.readFileSync(path.join(this.dir, `${base}.wxml`), "utf8"));
    this.definitions.set(base, { options, wxml, using, is: base });
  }

  private definition(base: string): Definition {
    if (!this.definitions.has(base)) {
      const prev = this.loading;
      this.loading = base;
      try {
        this.require(base);
      } finally {
        this.loading = prev;
      }
    }
    const d = this.definitions.get(base);
    if (!d) throw new Error(`${base}.js registered no page or component`);
    return d;
  }

  private instantiate(def: Definition, route: string | null, parent: Live | null, node: RenderedNode | null) {
    const o = def.options;
    const data: Dict = {};
    for (const [k, p] of Object.entries<any>(o.properties ?? {}))
      data[k] = p && typeof p === "object" && "value" in p ? p.value : null;
    Object.assign(data, typeof o.data === "function" ? o.data() : structuredClone(o.data ?? {}));
    const live: Live = {
      inst: null as unknown as Instance,
      def,
      children: new Map(),
      parent,
      node,
      tree: [],
    };
    const inst: Instance = {
      is: def.is,
      data,
      properties: data,
      __wxExparserNodeId__: `n${this.nextId++}`,
      __wxWebviewId__: 1,
      setData: (patch: Dict, cb?: () => void) => {
        for (const [k, v] of Object.entries(patch)) setPath(data, k, v);
        this.refresh(live);
        if (cb) setTimeout(() => this.guard(cb), 0);
      },
      triggerEvent: (name: string, detail?: unknown) => this.dispatch(live, name, detail),
      selectComponent: () => null,
      selectAllComponents: () => [],
      createSelectorQuery: () => ({
        in: () => inst.createSelectorQuery(),
        select: () => ({ boundingClientRect: () => ({ exec: () => undefined }) }),
        exec: () => undefined,
      }),
      getOpenerEventChannel: () => ({ on: () => undefined, emit: () => undefined, off: () => undefined }),
      hasBehavior: () => false,
    };
    if (route) {
      inst.route = route;
      inst.__route__ = route;
    }
    Object.assign(inst, o.methods ?? {});
    live.inst = inst;
    return live;
  }

  private lifecycle(l: Live, name: string, ...args: unknown[]) {
    const o = l.def.options;
    const fn = o.lifetimes?.[name] ?? o[name];
    if (typeof fn === "function") this.guard(() => fn.apply(l.inst, args));
  }

  private call(l: Live, method: string, ...args: unknown[]) {
    const fn = l.inst[method];
    if (typeof fn === "function") this.guard(() => fn.apply(l.inst, args));
  }

  /** Re-render an instance and keep its child components in step (created, props, detached). */
  private refresh(l: Live) {
    l.tree = render(l.def.wxml, l.inst.data, l.inst);
    const seen = new Set<string>();
    const walk = (nodes: RenderedNode[]) => {
      for (const n of nodes) {
        const comp = l.def.using[n.tag];
        if (comp) {
          const key = String(n.attrs["u-i"] ?? `${n.tag}:${seen.size}`);
          seen.add(key);
          const up = n.attrs["u-p"];
          const existing = l.children.get(key);
          if (existing) {
            existing.node = n;
            if (JSON.stringify(existing.inst.properties.uP) !== JSON.stringify(up)) {
              existing.inst.properties.uP = up;
              const obs = existing.def.options.observers?.uP;
              if (obs) this.guard(() => obs.call(existing.inst, up));
            }
          } else {
            const child = this.instantiate(this.definition(comp), null, l, n);
            Object.assign(child.inst.properties, { uI: n.attrs["u-i"], uP: up, uS: n.attrs["u-s"] });
            l.children.set(key, child);
            this.lifecycle(child, "created");
            this.lifecycle(child, "attached");
            this.refresh(child);
            this.lifecycle(child, "ready");
          }
        }
        walk(n.children);
      }
    };
    walk(l.tree);
    for (const [key, child] of l.children)
      if (!seen.has(key)) {
        this.detach(child);
        l.children.delete(key);
      }
  }

  private detach(l: Live) {
    for (const c of l.children.values()) this.detach(c);
    this.lifecycle(l, "detached");
  }

  /** A component's triggerEvent: call the handler its parent bound on the component's tag. */
  private dispatch(l: Live, name: string, detail: unknown) {
    if (!l.parent || !l.node) return;
    const a = l.node.attrs;
    const handler = a[`bind:${name}`] ?? a[`bind${name}`] ?? a[`catch:${name}`] ?? a[`catch${name}`];
    if (typeof handler !== "string" || !handler) return;
    const ds = dataset(a);
    this.call(l.parent, handler, {
      type: name,
      detail,
      target: { dataset: ds },
      currentTarget: { dataset: ds },
    });
  }

  // ---- app and navigation ---------------------------------------------------------------------

  launch(query: Dict = {}) {
    this.require("app.js");
    if (!this.appOptions) throw new Error("app.js did not call App()");
    const app = this.appOptions;
    const opts = { path: this.appJson.pages[0], query, scene: 1001 };
    this.guard(() => app.onLaunch?.call(app, opts));
    this.guard(() => app.onShow?.call(app, opts));
    this.open(`/${this.appJson.pages[0]}`);
  }

  private open(url: string) {
    const [p, qs = ""] = url.replace(/^\//, "").split("?") as [string, string?];
    if (!this.appJson.pages.includes(p)) throw new Error(`no page ${p} in app.json`);
    const query: Dict = {};
    for (const kv of qs.split("&").filter(Boolean)) {
      const [k, v = ""] = kv.split("=");
      query[k!] = v; // WeChat hands the query over still encoded
    }
    const below = this.stack.at(-1);
    if (below) this.call(below, "onHide");
    const live = this.instantiate(this.definition(p), p, null, null);
    this.stack.push(live);
    this.lifecycle(live, "created");
    this.lifecycle(live, "attached");
    this.call(live, "onLoad", query);
    this.call(live, "onShow");
    this.refresh(live);
    this.lifecycle(live, "ready");
  }

  private close(l: Live) {
    this.call(l, "onUnload");
    this.detach(l);
  }

  private back(delta = 1) {
    for (let i = 0; i < delta && this.stack.length > 1; i++) this.close(this.stack.pop()!);
    this.call(this.stack.at(-1)!, "onShow");
  }

  get page(): Live {
    const l = this.stack.at(-1);
    if (!l) throw new Error("no page is open");
    return l;
  }

  get route(): string {
    return this.page.inst.route!;
  }

  /** Every rendered node of the current page, child components included. */
  nodes(l: Live = this.page): RenderedNode[] {
    const out: RenderedNode[] = [];
    const walk = (ns: RenderedNode[]) => {
      for (const n of ns) {
        out.push(n);
        walk(n.children);
        if (l.def.using[n.tag]) {
          const child = [...l.children.values()].find((c) => c.node === n);
          if (child) out.push(...this.nodes(child));
        }
      }
    };
    walk(l.tree);
    return out;
  }

  /** All text on the current page, child components included. */
  pageText(): string {
    return this.nodes()
      .filter((n) => n.tag === "#text")
      .map((n) => n.text.trim())
      .filter(Boolean)
      .join(" ");
  }

  find(test: string): RenderedNode | undefined {
    return this.nodes().find((n) => n.attrs["data-test"] === test);
  }

  text(test: string): string | undefined {
    return this.find(test)?.text.trim();
  }

  /** A tap on the element with this data-test, as WeChat delivers it to the bound handler. */
  tap(test: string) {
    const n = this.find(test);
    if (!n) throw new Error(`nothing with data-test="${test}" on ${this.route}`);
    if (n.attrs.disabled === true || n.attrs.disabled === "true")
      throw new Error(`"${test}" is disabled on ${this.route}`);
    const handler = n.attrs.bindtap ?? n.attrs["bind:tap"] ?? n.attrs.catchtap;
    if (typeof handler !== "string") throw new Error(`"${test}" has no tap handler`);
    const ds = dataset(n.attrs);
    const owner = this.liveOf(n.owner);
    this.call(owner, handler, {
      type: "tap",
      timeStamp: Date.now(),
      detail: { x: 0, y: 0 },
      target: { id: "", dataset: ds },
      currentTarget: { id: "", dataset: ds },
    });
  }

  private liveOf(inst: Instance): Live {
    const search = (ls: Iterable<Live>): Live | undefined => {
      for (const l of ls) {
        if (l.inst === inst) return l;
        const c = search(l.children.values());
        if (c) return c;
      }
      return undefined;
    };
    const l = search(this.stack);
    if (!l) throw new Error("tapped an element of a closed page");
    return l;
  }

  // ---- wx -------------------------------------------------------------------------------------

  private createWx(): Dict {
    const storage = this.storage;
    const later = (fn: () => void) => setTimeout(() => this.guard(fn), 0);
    const done = (o: Dict, name: string, res: Dict = {}) =>
      later(() => {
        o.success?.({ errMsg: `${name}:ok`, ...res });
        o.complete?.({ errMsg: `${name}:ok`, ...res });
      });
    const nav = (name: string, act: (o: Dict) => void) => (o: Dict) =>
      later(() => {
        act(o);
        o.success?.({ errMsg: `${name}:ok` });
        o.complete?.({ errMsg: `${name}:ok` });
      });
    const own: Dict = {
      getStorageSync: (k: string) => (storage.has(k) ? structuredClone(storage.get(k)) : ""),
      setStorageSync: (k: string, v: unknown) => void storage.set(k, structuredClone(v)),
      removeStorageSync: (k: string) => void storage.delete(k),
      setStorage: (o: Dict) => (storage.set(o.key, structuredClone(o.data)), done(o, "setStorage")),
      getStorage: (o: Dict) => done(o, "getStorage", { data: storage.get(o.key) }),
      getLaunchOptionsSync: () => ({ path: this.appJson.pages[0], query: {}, scene: 1001 }),
      onAppShow: () => undefined,
      onAppHide: () => undefined,
      offAppShow: () => undefined,
      offAppHide: () => undefined,
      onError: () => undefined,
      onUnhandledRejection: () => undefined,
      onPageNotFound: () => undefined,
      navigateTo: nav("navigateTo", (o) => this.open(o.url)),
      redirectTo: nav("redirectTo", (o) => {
        this.close(this.stack.pop()!);
        this.open(o.url);
      }),
      reLaunch: nav("reLaunch", (o) => {
        while (this.stack.length) this.close(this.stack.pop()!);
        this.open(o.url);
      }),
      navigateBack: nav("navigateBack", (o) => this.back(o?.delta ?? 1)),
      setNavigationBarTitle: (o: Dict) => ((this.title = o.title), done(o, "setNavigationBarTitle")),
      showLoading: (o: Dict) => done(o, "showLoading"),
      hideLoading: (o: Dict = {}) => done(o, "hideLoading"),
      showToast: (o: Dict) => done(o, "showToast"),
      hideToast: (o: Dict = {}) => done(o, "hideToast"),
      showModal: (o: Dict) => done(o, "showModal", { confirm: true, cancel: false }),
      stopPullDownRefresh: (o: Dict = {}) => done(o, "stopPullDownRefresh"),
      preloadAssets: () => undefined,
      canIUse: () => true,
      getAppBaseInfo: () => ({
        language: this.opts.language ?? "zh_CN",
        SDKVersion: "3.6.0",
        theme: "light",
      }),
      getWindowInfo: () => ({
        windowWidth: 375,
        windowHeight: 812,
        screenWidth: 375,
        screenHeight: 812,
        pixelRatio: 2,
        statusBarHeight: 44,
        safeArea: { top: 44, bottom: 778, left: 0, right: 375, width: 375, height: 734 },
      }),
      getDeviceInfo: () => ({ platform: "ios", system: "iOS 17", brand: "devtools", model: "iPhone X" }),
      getSystemSetting: () => ({}),
      getAppAuthorizeSetting: () => ({}),
      getSystemInfoSync: () => ({ ...own.getAppBaseInfo(), ...own.getWindowInfo(), ...own.getDeviceInfo() }),
      getAccountInfoSync: () => ({
        miniProgram: {
          appId: "wx0000000000000000",
          envVersion: "develop",
          version: "",
          ...this.opts.account,
        },
      }),
      // Asynchronous, like WeChat's: the only source of random bytes in the logic layer.
      getRandomValues: (o: Dict) =>
        later(() => {
          const bytes = this.opts.randomBytes(o.length);
          const buf = new (vm.runInContext("ArrayBuffer", this.context))(bytes.length);
          new (vm.runInContext("Uint8Array", this.context))(buf).set(bytes);
          o.success?.({ randomValues: buf, errMsg: "getRandomValues:ok" });
          o.complete?.({ errMsg: "getRandomValues:ok" });
        }),
      ...this.opts.wx,
    };
    // Unknown wx APIs read as undefined, as on an older base library; note them for debugging.
    return new Proxy(own, {
      get: (t, k) => {
        if (typeof k === "string" && !(k in t)) this.missingWx.add(k);
        return t[k as string];
      },
    });
  }

  title = "";
  readonly missingWx = new Set<string>();
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();
  readonly storage = new Map<string, unknown>();

  /** Close every page and clear every timer the app left running. */
  dispose() {
    while (this.stack.length) this.close(this.stack.pop()!);
    for (const h of this.timers.values()) clearTimeout(h);
    this.timers.clear();
  }
}

function dataset(attrs: Dict): Dict {
  const ds: Dict = {};
  for (const [k, v] of Object.entries(attrs))
    if (k.startsWith("data-")) ds[k.slice(5).replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = v;
  return ds;
}

/** Wait until `cond` holds, letting timers and network run; fail with what the page shows. */
export async function until(
  rt: WechatRuntime,
  what: string,
  cond: () => boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (rt.errors.length) throw new Error(`${what}: the logic layer threw: ${describeErrors(rt.errors)}`);
    if (Date.now() > end)
      throw new Error(
        `${what}: timed out on ${rt.stack.length ? rt.route : "(no page)"}; page text: ${
          rt.stack.length ? rt.pageText() : ""
        }`,
      );
    await new Promise((r) => setTimeout(r, 20));
  }
  if (rt.errors.length) throw new Error(`${what}: the logic layer threw: ${describeErrors(rt.errors)}`);
}

export function describeErrors(errors: unknown[]): string {
  return errors
    .map((e) =>
      e instanceof Error || (e && typeof e === "object" && "stack" in e) ? (e as Error).stack : String(e),
    )
    .join("\n---\n");
}
