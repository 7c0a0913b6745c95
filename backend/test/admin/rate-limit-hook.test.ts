/**
 * The admin rate-limit hook: whatever limiter is plugged in is asked once per request of a valid
 * key, keyed by the key's id; a refusal is 429 RATE_LIMITED with Retry-After. By default the
 * limiter is the shared PostgreSQL store (last test); the first ones plug in a fake to watch the calls.
 */
import crypto from "node:crypto";
import { ADMIN_PREFIX } from "@minipay/shared";
import { createTestDatabaseUrl } from "../helpers/db";
import type { AdminLimiter } from "../../src/http/middleware/merchant-key";
import { A, startAdmin, type AdminKit } from "./admin-kit";

const asked: string[] = [];
const limiter: AdminLimiter = {
  async take(key) {
    asked.push(key);
    const n = asked.filter((k) => k === key).length;
    return { allowed: n <= 2, retryAfterSeconds: 7.2 };
  },
};

let kit: AdminKit;
beforeAll(async () => {
  kit = await startAdmin({ adminLimiter: limiter });
});
afterAll(() => kit.close());

describe("admin rate-limit hook", () => {
  it("limits per key and answers 429 RATE_LIMITED with Retry-After", async () => {
    const one = await kit.key(A, ["products:read"]);
    const two = await kit.key(A, ["products:read"]);
    const get = (k: string) => kit.call("GET", `${ADMIN_PREFIX}/products`, k);
    expect((await get(one.key)).status).toBe(200);
    expect((await get(one.key)).status).toBe(200);
    const third = await get(one.key);
    expect([third.status, third.body.error.code]).toEqual([429, "RATE_LIMITED"]);
    expect(third.headers.get("retry-after")).toBe("8");
    expect((await get(two.key)).status).toBe(200);
    expect(new Set(asked)).toEqual(new Set([`admin-key:${one.id}`, `admin-key:${two.id}`]));
  });

  it("is not asked for requests without a valid key", async () => {
    const before = asked.length;
    expect((await kit.call("GET", `${ADMIN_PREFIX}/products`, null)).status).toBe(401);
    expect((await kit.call("GET", `${ADMIN_PREFIX}/products`, "mk_" + "x".repeat(43))).status).toBe(401);
    expect(asked.length).toBe(before);
  });
});

describe("admin key limits on the shared store", () => {
  it("count requests of one key across two backend processes sharing one database", async () => {
    const databaseUrl = await createTestDatabaseUrl();
    const masterKey = crypto.randomBytes(32);
    const one = await startAdmin({ databaseUrl, masterKey, limits: { adminPerKeyPerMinute: 5 } });
    const two = await startAdmin({ databaseUrl, masterKey, limits: { adminPerKeyPerMinute: 5 } });
    try {
      const k = await one.key(A, ["products:read"]);
      const statuses = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await (i % 2 ? two : one).call("GET", `${ADMIN_PREFIX}/products`, k.key)).status);
      // A limiter in process memory would let 2 × 5 through.
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      const other = await two.key(A, ["products:read"]);
      expect((await one.call("GET", `${ADMIN_PREFIX}/products`, other.key)).status).toBe(200);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
