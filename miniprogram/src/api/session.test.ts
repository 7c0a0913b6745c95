import { Session, TOKEN_KEY, type TokenStorage } from "./session";

function memory(): TokenStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    get: (k) => data.get(k) ?? null,
    set: (k, v) => void data.set(k, v),
    remove: (k) => void data.delete(k),
  };
}

describe("session", () => {
  it("logs in with a platform code and keeps the token in storage", async () => {
    const storage = memory();
    const exchange = jest.fn(async (code: string) => ({ token: `tok-for-${code}` }));
    const s = new Session(storage, async () => "c1", exchange);
    await s.ensure();
    expect(storage.data.get(TOKEN_KEY)).toBe("tok-for-c1");
    await s.ensure();
    expect(exchange).toHaveBeenCalledTimes(1);
  });

  it("runs one login for many concurrent callers", async () => {
    let n = 0;
    const s = new Session(
      memory(),
      async () => `c${++n}`,
      async (code) => ({ token: code }),
    );
    await Promise.all([s.login(), s.login(), s.ensure()]);
    expect(n).toBe(1);
  });

  it("a failed login leaves no token and can be retried", async () => {
    const storage = memory();
    let fail = true;
    const s = new Session(
      storage,
      async () => "c",
      async () => {
        if (fail) throw new Error("40029");
        return { token: "ok" };
      },
    );
    await expect(s.ensure()).rejects.toThrow("40029");
    expect(s.token()).toBeNull();
    fail = false;
    await s.ensure();
    expect(s.token()).toBe("ok");
  });
});
