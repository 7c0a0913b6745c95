/** A tiny hash router (#/orders, #/orders/<id>): the console has a handful of pages, no need for more. */
import { ref } from "vue";

export interface Route {
  page: string;
  id: string | null;
}

export function parseHash(hash: string): Route {
  const [page = "", id] = hash.replace(/^#\/?/, "").split("/");
  return { page, id: id ? decodeURIComponent(id) : null };
}

export const route = ref<Route>(parseHash(typeof location === "undefined" ? "" : location.hash));
if (typeof window !== "undefined")
  window.addEventListener("hashchange", () => (route.value = parseHash(location.hash)));

export function go(page: string, id?: string): void {
  location.hash = id ? `#/${page}/${encodeURIComponent(id)}` : `#/${page}`;
}
