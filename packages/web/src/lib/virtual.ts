/**
 * Window math of a virtualized list of items of known heights: only the items that
 * intersect the viewport (plus an overscan margin) are rendered, absolutely positioned at
 * their offsets inside a spacer as tall as the whole list.
 */
export interface Layout {
  /** offsets[i] is the top of item i; offsets[n] is the total height. */
  readonly offsets: Float64Array;
}

export function layout(heights: ArrayLike<number>): Layout {
  const offsets = new Float64Array(heights.length + 1);
  for (let i = 0; i < heights.length; i++) offsets[i + 1] = (offsets[i] as number) + Math.max(0, heights[i] as number);
  return { offsets };
}

export function totalHeight(l: Layout): number {
  return l.offsets[l.offsets.length - 1] as number;
}

/** The index of the item at `y` (the last item whose top is <= y), clamped to the list. */
export function indexAt(l: Layout, y: number): number {
  const n = l.offsets.length - 1;
  if (n <= 0) return 0;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((l.offsets[mid] as number) <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export interface Window {
  /** First item to render. */
  readonly start: number;
  /** One past the last item to render. */
  readonly end: number;
}

/**
 * The items to render when the list's top is `scrollTop` pixels above the viewport's top
 * (negative: the list starts below it) and the viewport is `viewport` pixels tall, with
 * `overscan` pixels more on each side so a small scroll shows rendered rows.
 */
export function visibleWindow(l: Layout, scrollTop: number, viewport: number, overscan: number): Window {
  const n = l.offsets.length - 1;
  const total = totalHeight(l);
  const top = Math.max(0, scrollTop - overscan);
  const bottom = Math.min(total, scrollTop + Math.max(0, viewport) + overscan);
  if (n === 0 || bottom <= 0 || top >= total || bottom <= top) return { start: 0, end: 0 };
  const start = indexAt(l, top);
  let end = indexAt(l, bottom) + 1;
  // An item that starts exactly at the bottom edge is not visible.
  if (end - 1 > start && (l.offsets[end - 1] as number) >= bottom) end--;
  return { start, end: Math.min(end, n) };
}
