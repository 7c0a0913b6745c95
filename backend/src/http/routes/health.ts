import Router from "@koa/router";

export function healthRouter(ready: () => Promise<boolean>): Router {
  const r = new Router();
  r.get("/healthz", (ctx) => {
    ctx.body = { status: "ok" };
  });
  r.get("/readyz", async (ctx) => {
    const ok = await ready().catch(() => false);
    ctx.status = ok ? 200 : 503;
    ctx.body = { status: ok ? "ready" : "unavailable", database: ok ? "up" : "down" };
  });
  return r;
}
