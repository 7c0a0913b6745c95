/** One confirm dialog for the whole console: `await ask(message)` is true only on an explicit OK. */
import { reactive } from "vue";

export const dialog = reactive<{ message: string | null; resolve: ((ok: boolean) => void) | null }>({
  message: null,
  resolve: null,
});

export function ask(message: string): Promise<boolean> {
  dialog.resolve?.(false); // a dialog already open counts as cancelled
  return new Promise((resolve) => {
    dialog.message = message;
    dialog.resolve = resolve;
  });
}

export function answer(ok: boolean): void {
  const r = dialog.resolve;
  dialog.message = null;
  dialog.resolve = null;
  r?.(ok);
}
