/** Small pieces every page had written out: an error that catches, a ticking clock, pull to refresh. */
import { ref } from "vue";
import { onPullDownRefresh, onUnload } from "@dcloudio/uni-app";
import { ready, timing, type AppContext } from "../app-context";
import { errorText, type Lang } from "../i18n";

/** The page's error text; `attempt` runs a step with the app context and shows a throw there. */
export function useAttempt(L: Lang) {
  const error = ref("");
  async function attempt(step: (c: AppContext) => Promise<void>): Promise<void> {
    try {
      await step(await ready());
    } catch (e) {
      error.value = errorText(e, L);
    }
  }
  return { error, attempt };
}

/** `now` for countdowns; it ticks every second once `tick()` is called, until the page unloads. */
export function useNow() {
  const now = ref(timing.now());
  let ticker: ReturnType<typeof setInterval> | null = null;
  const tick = () => {
    ticker ??= setInterval(() => (now.value = timing.now()), 1000);
  };
  onUnload(() => ticker && clearInterval(ticker));
  return { now, tick };
}

/** Pull to refresh: reload, then let the spinner go. */
export function onPullRefresh(reload: () => Promise<void>): void {
  onPullDownRefresh(async () => {
    await reload();
    uni.stopPullDownRefresh();
  });
}
