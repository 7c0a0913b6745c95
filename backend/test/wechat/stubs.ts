/**
 * Pieces the wechat/ tests share: the error a call must fail with, a local stand-in for WeChat's
 * server, and v2 XML signed with the sandbox's crypto (never the backend's).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { signV2, toXml, type SignType } from "../../../sandbox/src/crypto/v2";

/** The error p rejects with, after checking its class; p resolving fails the test. */
export async function rejectionOf<E>(
  p: Promise<unknown>,
  type: abstract new (...args: any[]) => E,
): Promise<E> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as E;
}

/** Run fn against a local server answering with handler; the server is closed however fn ends. */
export async function withServer(
  handler: http.RequestListener,
  fn: (url: string) => Promise<void>,
): Promise<void> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections(); // a handler that never answers keeps its connection open
    await new Promise<void>((r) => server.close(() => r()));
  }
}

/** v2 XML with its sign, made with `key`. */
export function signedV2Xml(fields: Record<string, string>, key: string, type: SignType): string {
  return toXml({ ...fields, sign: signV2(fields, key, type) });
}
