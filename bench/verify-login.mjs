// The verify and login groups of `npm run bench` (bench/run.mjs). Both endpoints make one WeChat call
// per request (through the sandbox), so each is measured next to that same call made raw against the
// sandbox in the same run, and next to a bare Koa route (bench/peer-app.mjs): the ratios show what
// Minipay adds on top of the upstream call and of an empty route.
//
// verify: POST /api/v1/orders/:id/verify for paying v2 (HMAC-SHA256) and v3 orders of distinct
//   shoppers, round robin; the sandbox answers NOTPAY (the shopper is back from the cashier before
//   any notify). Raw baseline: the v2 /pay/orderquery the endpoint makes, signed with the merchant's key.
// login: POST /api/v1/session with a fresh wx.login code per request (code2Session through the
//   sandbox, then a user and a session row). Raw baseline: GET /sns/jscode2session with fresh codes.
//   Codes are for returning shoppers (each openid logs in BENCH_LOGIN_PER_OPENID times, under the
//   sandbox's 100-a-minute per-openid quota).
// Every answer is checked (status, and for raw sandbox calls the body, since WeChat answers its
// errors with HTTP 200); one wrong answer fails the run.
import crypto from "node:crypto";
import path from "node:path";
import { cannon } from "./cannon.mjs";

const LOGIN_REQUESTS = Number(process.env.BENCH_LOGIN_REQUESTS ?? 3000);
const LOGIN_PER_OPENID = Number(process.env.BENCH_LOGIN_PER_OPENID ?? 50);

/** `concurrency` workers draining `items` through `fn` (setup calls, not measured). */
async function inParallel(items, concurrency, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

const json = async (res, what) => {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text);
};

/**
 * Database transactions per request, from pg_stat_database around a run: a server whose CPU is
 * mostly idle under load is waiting, and round trips to PostgreSQL are the usual wait. A backend
 * process publishes its counters when it goes idle, at the latest 10 s later (PostgreSQL's
 * PGSTAT_IDLE_INTERVAL), hence the pause; the job engine's polling adds a few a second.
 */
async function withTransactions(pool, run) {
  const count = async () =>
    Number(
      (
        await pool.query(
          `SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()`,
        )
      ).rows[0].n,
    );
  const before = await count();
  const r = await run();
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  const n = (await count()) - before;
  return {
    ...r,
    dbTransactionsPerRequest: n / r.requests,
    note: `≈${(n / r.requests).toFixed(1)} db transactions/req`,
  };
}

/** Round robin over a list. */
const cycle = (list) => {
  let i = 0;
  return () => list[i++ % list.length];
};

export async function verifyLoginBench({
  root,
  groups,
  base,
  sandbox,
  pool,
  startPeer,
  connections,
  duration,
}) {
  const { signV2, toXml } = await import(path.join(root, "sandbox/dist/crypto/v2.js"));
  const doc = await json(await fetch(`${sandbox}/__sandbox/merchants`), "sandbox merchants");
  const mv2 = doc.merchants.find((m) => m.name === "v2-hmac");
  const mv3 = doc.merchants.find((m) => m.name === "v3-public-key");
  const rows = [];
  const code = (appid, openid) =>
    fetch(`${sandbox}/__sandbox/login-codes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ appid, openid }),
    }).then((r) => json(r, "login code"));
  const login = async (appid, openid) => {
    const c = await code(appid, openid);
    return json(
      await fetch(`${base}/api/v1/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ code: c.code, appid }),
      }),
      "login",
    );
  };

  // The bare Koa route of the run's peer app (bench/peer-app.mjs).
  const peer = await startPeer();
  const bareBody = JSON.stringify({ id: "bench", resource: { ciphertext: "x" } });
  const bareRun = {
    base: peer,
    connections,
    expected: 204,
    next: () => ({
      method: "POST",
      path: "/bare/v3",
      headers: { "content-type": "application/json" },
      body: bareBody,
    }),
  };
  await cannon("warm-up bare", { ...bareRun, duration: 1 });
  const bare = await cannon("bare Koa route (POST, small JSON body, peer-app)", { ...bareRun, duration });
  rows.push({ group: groups.verify ? "verify" : "login", ...bare, ratio: 1, vs: "bare" });

  if (groups.verify) {
    await pool.query(`UPDATE products SET stock = 100000000`);
    // One paying order per shopper, `connections` shoppers per merchant.
    const paying = async (m, tag) => {
      const products = (await json(await fetch(`${base}/api/v1/products?appid=${m.appid}`), "products"))
        .products;
      return inParallel(
        Array.from({ length: connections }, (_, i) => i),
        4,
        async (i) => {
          const s = await login(m.appid, `o-verify-${tag}-${i}`);
          const auth = { "content-type": "application/json", authorization: `Bearer ${s.token}` };
          const o = await json(
            await fetch(`${base}/api/v1/orders`, {
              method: "POST",
              headers: { ...auth, "idempotency-key": crypto.randomUUID() },
              body: JSON.stringify({ items: [{ productId: products[0].id, quantity: 1 }] }),
            }),
            "create order",
          );
          await json(
            await fetch(`${base}/api/v1/orders/${o.id}/payments`, {
              method: "POST",
              headers: auth,
              body: JSON.stringify({ method: "jsapi" }),
            }),
            "prepay",
          );
          return { id: o.id, auth };
        },
      );
    };
    const v2Orders = await paying(mv2, "v2");
    const v3Orders = await paying(mv3, "v3");
    const verifyReq = (list) => {
      const pick = cycle(list);
      return () => {
        const o = pick();
        return { method: "POST", path: `/api/v1/orders/${o.id}/verify`, headers: o.auth, body: "{}" };
      };
    };
    const stillPaying = (body) => JSON.parse(body).state === "paying";

    // The raw call verify makes for a v2 order: /pay/orderquery, signed, for one of these orders.
    const { rows: nos } = await pool.query(`SELECT out_trade_no FROM orders WHERE id = ANY($1::uuid[])`, [
      v2Orders.map((o) => o.id),
    ]);
    const queryBodies = nos.map(({ out_trade_no }) => {
      const f = {
        appid: mv2.appid,
        mch_id: mv2.mchid,
        out_trade_no,
        nonce_str: crypto.randomBytes(12).toString("hex"),
        sign_type: "HMAC-SHA256",
      };
      return toXml({ ...f, sign: signV2(f, mv2.apiV2Key, "HMAC-SHA256") });
    });
    const pickQuery = cycle(queryBodies);
    const raw = await cannon("raw sandbox v2 /pay/orderquery (the call verify makes)", {
      base: sandbox,
      connections,
      duration,
      expected: 200,
      next: () => ({
        method: "POST",
        path: "/pay/orderquery",
        headers: { "content-type": "text/xml" },
        body: pickQuery(),
      }),
      check: (b) => b.includes("<result_code><![CDATA[SUCCESS]]>") && b.includes("NOTPAY"),
    });
    rows.push({ group: "verify", ...raw, ratio: raw.rps / bare.rps, vs: "bare" });
    await cannon("warm-up verify", {
      base,
      connections,
      duration: 1,
      expected: 200,
      next: verifyReq(v2Orders),
    });
    for (const [version, orders, vs] of [
      ["v2", v2Orders, "raw orderquery"],
      ["v3", v3Orders, "raw v2 orderquery"],
    ]) {
      const r = await withTransactions(pool, () =>
        cannon(`${version} Minipay POST /orders/:id/verify (${connections} shoppers)`, {
          base,
          connections,
          duration,
          expected: 200,
          next: verifyReq(orders),
          check: stillPaying,
        }),
      );
      rows.push({ group: "verify", ...r, ratio: r.rps / raw.rps, vs, ofBare: r.rps / bare.rps });
    }
  }

  if (groups.login) {
    const openids = Math.max(1, Math.ceil(LOGIN_REQUESTS / LOGIN_PER_OPENID));
    const codes = (tag) =>
      inParallel(
        Array.from({ length: LOGIN_REQUESTS }, (_, i) => i),
        connections,
        async (i) => (await code(mv3.appid, `o-login-${tag}-${i % openids}`)).code,
      );
    const rawCodes = await codes("raw");
    const pickRaw = cycle(rawCodes);
    const raw = await cannon("raw sandbox GET /sns/jscode2session (fresh code each)", {
      base: sandbox,
      connections,
      amount: LOGIN_REQUESTS,
      expected: 200,
      next: () => ({
        method: "GET",
        path: `/sns/jscode2session?appid=${mv3.appid}&secret=${mv3.appsecret}&js_code=${pickRaw()}&grant_type=authorization_code`,
      }),
      check: (b) => b.includes('"session_key"') && !b.includes("errcode"),
    });
    rows.push({ group: "login", ...raw, ratio: raw.rps / bare.rps, vs: "bare" });
    const loginCodes = await codes("mp");
    const pickCode = cycle(loginCodes);
    const mp = await withTransactions(pool, () =>
      cannon(`Minipay POST /api/v1/session (${openids} returning shoppers)`, {
        base,
        connections,
        amount: LOGIN_REQUESTS,
        expected: 200,
        next: () => ({
          method: "POST",
          path: "/api/v1/session",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ code: pickCode(), appid: mv3.appid }),
        }),
        check: (b) => typeof JSON.parse(b).token === "string",
      }),
    );
    rows.push({
      group: "login",
      ...mp,
      ratio: mp.rps / raw.rps,
      vs: "raw code2Session",
      ofBare: mp.rps / bare.rps,
    });
  }
  return rows;
}
