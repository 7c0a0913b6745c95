/**
 * Shopper login: a code is exchanged at most once, an unknown code is refused, the session_key is
 * only stored sealed, and WeChat's login failures (busy, quota, blocked) map to stable codes with
 * the code left usable when WeChat did not consume it.
 */
import { useSandbox, useStack } from "../helpers/sandbox-stack";

const sandbox = useSandbox();

describe("login codes", () => {
  const stack = useStack(sandbox, "v3-public-key");
  it("a code is exchanged at most once", async () => {
    const c = await stack.sb.loginCode(stack.merchant.credentials.appid);
    const first = await stack.api("POST", "/api/v1/session", { body: { code: c.code } });
    expect(first.status).toBe(200);
    expect(first.body.token.length).toBeGreaterThanOrEqual(43);
    expect(JSON.stringify(first.body)).not.toContain(c.openid);
    const second = await stack.api("POST", "/api/v1/session", { body: { code: c.code } });
    expect(second.status).toBe(401);
    expect(second.body.error.code).toBe("LOGIN_CODE_USED");
  });

  it("an unknown code → 401 LOGIN_CODE_INVALID; the session_key is stored sealed, never in clear", async () => {
    const r = await stack.api("POST", "/api/v1/session", { body: { code: "not-a-code-from-wechat" } });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe("LOGIN_CODE_INVALID");
    const rows = await stack.h.ds.query(`SELECT session_key_sealed FROM users`);
    for (const u of rows) expect(u.session_key_sealed).toMatch(/^v1\./);
  });
});

describe("login failures from WeChat", () => {
  const stack = useStack(sandbox, "v3-public-key");

  it.each([
    [-1 as const, 503, "WECHAT_BUSY"],
    [45011 as const, 503, "WECHAT_BUSY"],
    [40226 as const, 403, "LOGIN_BLOCKED"],
  ])("errcode %i → %i %s", async (errcode, status, code) => {
    await stack.sb.scenario({ action: "login_error", errcode });
    const c = await stack.sb.loginCode(stack.merchant.credentials.appid);
    const r = await fetch(`${stack.h.url}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: c.code }),
    });
    const body: any = await r.json();
    expect(r.status).toBe(status);
    expect(body.error.code).toBe(code);
    if (status === 503) {
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
      // WeChat was busy, the code was not spent: the same code works once WeChat recovers.
      await stack.sb.clearScenarios();
      const again = await stack.api("POST", "/api/v1/session", { body: { code: c.code } });
      expect(again.status).toBe(200);
    }
  });
});
