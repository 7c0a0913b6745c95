/** Loading / error bookkeeping for a page's calls, so every page shows the same three states. */
import { ref } from "vue";
import { errorText } from "./i18n";

export function useCall() {
  const loading = ref(false);
  const error = ref<string | null>(null);
  /** Runs `fn`; on failure keeps the message (with any missing scope) and resolves undefined. */
  async function run<T>(fn: () => Promise<T>): Promise<T | undefined> {
    loading.value = true;
    error.value = null;
    try {
      return await fn();
    } catch (err) {
      error.value = errorText(err);
      return undefined;
    } finally {
      loading.value = false;
    }
  }
  return { loading, error, run };
}
