/**
 * Windowed rendering for long lists with a fixed row height: only the rows in view (plus a few
 * either side, the overscan) are in the DOM; spacers above and below stand in for the rest, so the
 * scrollbar still measures the whole list. Thousands of loaded orders then cost a few dozen rows.
 */
import { computed, onBeforeUnmount, ref, watch, type Ref } from "vue";

export interface WindowRange {
  /** Index of the first row drawn. */
  start: number;
  /** One past the last row drawn. */
  end: number;
  /** Pixels of the rows above `start` (the top spacer's height). */
  before: number;
  /** Pixels of the rows from `end` on (the bottom spacer's height). */
  after: number;
}

/** Which rows of `total` to draw when `viewport` pixels are visible from `scrollTop` down. Pure. */
export function windowRange(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  total: number,
  overscan: number,
): WindowRange {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0, before: 0, after: 0 };
  const top = Math.max(0, scrollTop);
  const first = Math.min(total - 1, Math.floor(top / rowHeight));
  const visible = Math.max(1, Math.ceil(Math.max(0, viewport) / rowHeight) + 1);
  const start = Math.max(0, first - overscan);
  const end = Math.min(total, first + visible + overscan);
  return { start, end, before: start * rowHeight, after: (total - end) * rowHeight };
}

/**
 * The window over `count` rows inside the scrolling element bound to `scroller` (a `ref`), kept up
 * to date on scroll and on resize. `viewportGuess` is used until the element has been measured.
 */
export function useWindow(count: Ref<number>, rowHeight: number, overscan = 8, viewportGuess = 600) {
  const scroller = ref<HTMLElement | null>(null);
  const scrollTop = ref(0);
  const viewport = ref(viewportGuess);
  let observer: ResizeObserver | undefined;

  function measure() {
    const el = scroller.value;
    if (!el) return;
    scrollTop.value = el.scrollTop;
    if (el.clientHeight > 0) viewport.value = el.clientHeight;
  }

  // The scrolling element may come and go (a page drawn only when it has rows): each new one starts
  // at its top and is measured and watched afresh.
  watch(
    scroller,
    (el) => {
      observer?.disconnect();
      scrollTop.value = 0;
      if (!el) return;
      measure();
      if (typeof ResizeObserver !== "undefined") {
        observer = new ResizeObserver(measure);
        observer.observe(el);
      }
    },
    { flush: "post" },
  );
  onBeforeUnmount(() => observer?.disconnect());

  const range = computed(() =>
    windowRange(scrollTop.value, viewport.value, rowHeight, count.value, overscan),
  );
  /** Back to the top (a new search). */
  function toTop() {
    scrollTop.value = 0;
    if (scroller.value) scroller.value.scrollTop = 0;
  }
  return { scroller, range, onScroll: measure, toTop };
}
