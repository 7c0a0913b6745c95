/** One JSON call to a test server: body and bearer token in, status, parsed body and headers out. */
export interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

export async function callJson(
  baseUrl: string,
  method: string,
  path: string,
  o: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: {
      ...(o.body !== undefined ? { "content-type": "application/json" } : {}),
      ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
      ...(o.headers ?? {}),
    },
    body: o.body !== undefined ? JSON.stringify(o.body) : undefined,
  });
  const text = await res.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text; // not JSON (a WeChat-format or static answer): the text itself
  }
  return { status: res.status, body, headers: res.headers };
}
