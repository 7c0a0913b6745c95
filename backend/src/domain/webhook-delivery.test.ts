import {
  DEFAULT_RETRY_SECONDS,
  delivered,
  failedTooLong,
  nextAttemptAt,
  webhookBody,
} from "./webhook-delivery";

describe("webhook delivery rules", () => {
  it("only a 2xx is delivered (a redirect is not)", () => {
    expect([200, 204, 299].map(delivered)).toEqual([true, true, true]);
    expect([null, 199, 301, 302, 400, 410, 500].map(delivered)).toEqual(Array(7).fill(false));
  });

  it("retries at 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then gives up", () => {
    const t = new Date("2026-01-01T00:00:00Z");
    const waits = DEFAULT_RETRY_SECONDS.map(
      (_, i) => (nextAttemptAt(i + 1, t, DEFAULT_RETRY_SECONDS)!.getTime() - t.getTime()) / 1000,
    );
    expect(waits).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    expect(nextAttemptAt(8, t, DEFAULT_RETRY_SECONDS)).toBeNull();
    // At least 24 hours from the first attempt to the last.
    expect(waits.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(24 * 3600);
  });

  it("an endpoint is disabled only once it has been failing for the whole period", () => {
    const since = new Date("2026-01-01T00:00:00Z");
    const day = 86_400_000;
    expect(failedTooLong(null, new Date(since.getTime() + 10 * day), 3 * day)).toBe(false);
    expect(failedTooLong(since, new Date(since.getTime() + 3 * day - 1), 3 * day)).toBe(false);
    expect(failedTooLong(since, new Date(since.getTime() + 3 * day), 3 * day)).toBe(true);
  });

  it("the body is {id, type, createdAt, data: {object}}", () => {
    const body = webhookBody({
      id: "evt_1",
      type: "order.paid",
      createdAt: new Date(0),
      object: { id: "o1" },
    });
    expect(JSON.parse(body)).toEqual({
      id: "evt_1",
      type: "order.paid",
      createdAt: "1970-01-01T00:00:00.000Z",
      data: { object: { id: "o1" } },
    });
  });
});
