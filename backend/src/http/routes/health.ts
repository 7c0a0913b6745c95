import Router from "@koa/router";

/** /healthz: the process is up. /readyz: it can serve (the database answers), and if not, why. */
export function healthRouter(
  ready: () => Promise<boolean>,
  isUnavailable: (err: unknown) => boolean = () => false,
): Router {
  const r = new Router();
  r.get("/healthz", (ctx) => {
    ctx.body = { status: "ok" };
  });
  r.get("/readyz", async (ctx) => {
    let reason: string | null = null;
    try {
      if (!(await ready())) reason = "database did not answer";
    } catch (err) {
      // A category, not the driver's message: host names and ports stay in the log.
      reason = isUnavailable(err) ? "database unreachable" : "database error";
    }
    ctx.status = reason ? 503 : 200;
    if (reason) ctx.set("Retry-After", "5");
    ctx.body = reason
      ? { status: "unavailable", database: "down", reason }
      : { status: "ready", database: "up" };
  });
  return r;
}
