/**
 * Generated input on /merchant/v1 and /pay: whatever the body, number, header or token, the answer
 * is a 2xx or a 4xx with a stable code, never a 5xx or a stack trace.
 */
import fc from "fast-check";
import { ERRORS } from "@minipay/shared";
import { useSandbox, useStack } from "../helpers/sandbox-stack";
import { keyFor, testResolver } from "./kit";

const sandbox = useSandbox();
const stack = useStack(sandbox, "v3-public-key", { webhooks: { resolver: testResolver } });
let key: string;
beforeAll(async () => {
  key = await keyFor(stack, stack.merchant, ["orders:read", "orders:write"]);
});

const junk = fc.oneof(
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.constantFrom("\u0000", "a\u0000b", "%00", "../../admin/v1/keys", "' OR 1=1 --", "😀", "", "\uD800"),
  fc.integer().map(String),
);
const value = fc.oneof(
  junk,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
);
const body = fc.record(
  {
    merchantOrderNo: value,
    amountFen: fc.oneof(fc.integer({ min: -5, max: 20_000_000 }), value),
    description: value,
    method: fc.oneof(fc.constantFrom("jsapi", "native", "h5page"), value),
    payerOpenid: value,
    expiresInMinutes: value,
    attach: value,
    notifyUrl: fc.oneof(fc.webUrl(), value),
    returnUrl: fc.oneof(fc.webUrl(), value),
  },
  { requiredKeys: [] },
);

/** A lone surrogate cannot be URI-encoded: send its UTF-8-ish bytes instead. */
const enc = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return "%ED%A0%80";
  }
};

async function expectClean(res: Response): Promise<void> {
  const text = await res.text();
  expect(res.status).toBeLessThan(500);
  if (res.status >= 400 && (res.headers.get("content-type") ?? "").includes("json")) {
    const code = JSON.parse(text).error.code as string;
    expect(Object.keys(ERRORS)).toContain(code);
  }
  expect(text).not.toMatch(/\bat .+\.(ts|js):\d+/);
}

it("create, read and close with generated input", async () => {
  await fc.assert(
    fc.asyncProperty(body, junk, junk, async (b, no, idem) => {
      await expectClean(
        await fetch(`${stack.h.url}/merchant/v1/orders`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${key}`,
            "content-type": "application/json",
            "idempotency-key": enc(idem).slice(0, 200) || "x",
          },
          body: JSON.stringify(b),
        }),
      );
      const n = enc(no) || "x";
      const auth = { authorization: `Bearer ${key}` };
      await expectClean(await fetch(`${stack.h.url}/merchant/v1/orders/${n}`, { headers: auth }));
      await expectClean(
        await fetch(`${stack.h.url}/merchant/v1/orders/${n}/close`, { method: "POST", headers: auth }),
      );
      await expectClean(await fetch(`${stack.h.url}/pay/${n}`));
      await expectClean(await fetch(`${stack.h.url}/pay/${n}/status`));
    }),
    { numRuns: 60 },
  );
}, 120_000);
