/** The page's language (fixed for the page's life) and its text lookup, in one line per page. */
import { lang } from "../app-context";
import { t, type Lang, type UiKey } from "../i18n";

export function useText(): { L: Lang; tr: (k: UiKey, v?: Record<string, string | number>) => string } {
  const L = lang();
  return { L, tr: (k, v) => t(L, k, v) };
}
