/**
 * The signed-in key. It lives in sessionStorage only: gone when the tab closes, never in the URL
 * (no ?key=, so it cannot leak through history, logs or Referer) and never in localStorage.
 */
import { reactive } from "vue";
import { createAdminApi, type AdminHttp, type AdminMe } from "@minipay/shared";

const STORE = "minipay.console.key";

export const session = reactive<{ me: AdminMe | null }>({ me: null });

const fetchHttp: AdminHttp = async (req) => {
  const res = await fetch(req.url, {
    method: req.method,
    headers: req.headers,
    body: req.body,
    cache: "no-store",
    credentials: "omit",
  });
  // A key revoked while the console is open: back to the sign-in page.
  if (res.status === 401 && session.me) signOut();
  const text = await res.text();
  const json = (res.headers.get("content-type") ?? "").includes("json");
  return { status: res.status, data: !text ? null : json ? JSON.parse(text) : text };
};

export const api = createAdminApi({ http: fetchHttp, baseUrl: "", key: () => sessionStorage.getItem(STORE) });

/** Checks the key with GET /admin/v1/me and keeps it only if the API accepts it. */
export async function signIn(key: string): Promise<void> {
  sessionStorage.setItem(STORE, key.trim());
  try {
    session.me = await api.me();
  } catch (err) {
    sessionStorage.removeItem(STORE);
    throw err;
  }
}

/** After a reload in the same tab: the stored key, if it still works. */
export async function restore(): Promise<void> {
  if (!sessionStorage.getItem(STORE)) return;
  try {
    session.me = await api.me();
  } catch {
    signOut();
  }
}

export function signOut(): void {
  sessionStorage.removeItem(STORE);
  session.me = null;
}
