/** The one JSON-over-HTTP helper of the sandbox package (control client, CLI, tests). */
export interface JsonResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON; the raw text when the answer is not JSON; null when it is empty. */
  body: T;
}

export async function fetchJson<T = any>(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const res = await fetch(url, {
    method: init.method ?? "GET",
    headers: {
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: res.status, headers: res.headers, body: body as T };
}
