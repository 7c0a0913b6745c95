/**
 * What the merchant-API suites share: keys made through the real service for a stack's merchants,
 * a JSON call with a bearer key, and an order body with a fresh merchant number.
 */
import crypto from "node:crypto";
import { ADMIN_SCOPES, type AdminScope } from "@minipay/shared";
import { CLI_ACTOR } from "../../src/services/admin/actor";
import { ApiKeyService } from "../../src/services/admin/keys";
import { merchantIdFor } from "../../src/merchants/secrets";
import type { MerchantSeed } from "../../src/merchants/sources";
import { callJson, type Reply } from "../helpers/http";
import type { Stack } from "../helpers/sandbox-stack";

export async function keyFor(
  stack: Stack,
  merchant: MerchantSeed,
  scopes: readonly AdminScope[] = ADMIN_SCOPES,
): Promise<string> {
  const k = await new ApiKeyService(stack.h.deps).create(
    merchantIdFor(merchant.credentials.mchid),
    { name: "merchant-server", scopes: [...scopes] },
    CLI_ACTOR,
  );
  return k.key;
}

export const idem = () => "mo-" + crypto.randomBytes(10).toString("hex");
export const orderNo = () => "SO" + crypto.randomBytes(8).toString("hex").toUpperCase();

export function merchantCall(stack: Stack, key: string | null) {
  return (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> =>
    callJson(stack.h.url, method, `/merchant/v1${path}`, {
      ...(key ? { token: key } : {}),
      ...(body === undefined ? {} : { body }),
      headers,
    });
}

/** POST /orders with a fresh Idempotency-Key unless one is given. */
export function createOrder(
  call: ReturnType<typeof merchantCall>,
  body: Record<string, unknown>,
  key: string = idem(),
): Promise<Reply> {
  return call("POST", "/orders", body, { "idempotency-key": key });
}

/**
 * DNS for tests (no network here): `localhost` is loopback, `*.internal` a private address, and any
 * other name a public one, so merchant URLs such as https://merchant.example/… pass the address rules.
 */
export const testResolver = async (host: string): Promise<string[]> =>
  host === "localhost" ? ["127.0.0.1"] : host.endsWith(".internal") ? ["10.1.2.3"] : ["93.184.216.34"];
