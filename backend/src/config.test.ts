import { CONFIG_KEYS, ConfigError, loadConfig } from "./config";

describe("config", () => {
  it("has local defaults", () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.MERCHANT_SOURCE).toBe("sandbox");
    expect(c.publicBaseUrl).toBe("http://127.0.0.1:3000");
  });
  it("rejects a bad value with a message naming the variable", () => {
    expect(() => loadConfig({ PORT: "seventy" })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: "seventy" })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ LOG_LEVEL: "loud" })).toThrow(/LOG_LEVEL/);
  });
  it("names every missing variable for a real merchant", () => {
    try {
      loadConfig({ MERCHANT_SOURCE: "env", WECHAT_API_VERSION: "v3" });
      throw new Error("should have thrown");
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const vars = (e as ConfigError).issues.map((i) => i.variable);
      expect(vars).toEqual(
        expect.arrayContaining(["WECHAT_APPID", "WECHAT_API_V3_KEY", "WECHAT_PRIVATE_KEY_FILE"]),
      );
    }
  });
  it("refuses ALLOW_PRIVATE_WEBHOOKS in production, allows it elsewhere", () => {
    const key = Buffer.alloc(32, 7).toString("base64");
    expect(() =>
      loadConfig({ NODE_ENV: "production", MASTER_KEY: key, ALLOW_PRIVATE_WEBHOOKS: "true" }),
    ).toThrow(/ALLOW_PRIVATE_WEBHOOKS.*not allowed in production/);
    expect(loadConfig({ NODE_ENV: "production", MASTER_KEY: key }).ALLOW_PRIVATE_WEBHOOKS).toBeFalsy();
    expect(loadConfig({ ALLOW_PRIVATE_WEBHOOKS: "true" }).ALLOW_PRIVATE_WEBHOOKS).toBe(true);
  });

  it("requires a master key in production", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/MASTER_KEY/);
  });
  it("treats empty strings as unset", () => {
    expect(loadConfig({ PORT: "" }).PORT).toBe(3000);
    expect(CONFIG_KEYS).toContain("DATABASE_URL");
  });
  it("has the abuse-limit and retention defaults, and reads TRUST_PROXY as a boolean", () => {
    const c = loadConfig({});
    expect({
      login: [c.LOGIN_RATE_PER_CLIENT_PER_MINUTE, c.LOGIN_RATE_PER_APP_PER_MINUTE],
      orders: [
        c.ORDER_RATE_PER_USER_PER_MINUTE,
        c.MAX_OPEN_ORDERS_PER_USER,
        c.MAX_QUANTITY_PER_PRODUCT_PER_USER,
      ],
      verify: c.VERIFY_RATE_PER_MINUTE,
      retention: [
        c.PRUNE_INTERVAL_MS,
        c.RETENTION_LOGIN_CODES_HOURS,
        c.RETENTION_SESSIONS_DAYS,
        c.RETENTION_NOTIFY_LOG_DAYS,
      ],
      trustProxy: c.TRUST_PROXY ?? false,
    }).toEqual({
      login: [20, 600],
      orders: [10, 3, 20],
      verify: 30,
      retention: [600_000, 24, 7, 90],
      trustProxy: false,
    });
    expect(loadConfig({ TRUST_PROXY: "true" }).TRUST_PROXY).toBe(true);
    expect(() => loadConfig({ TRUST_PROXY: "yes" })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ MAX_OPEN_ORDERS_PER_USER: "0" })).toThrow(/MAX_OPEN_ORDERS_PER_USER/);
  });
});
