import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { layout, totalHeight, visibleWindow, type Window } from '../lib/virtual.ts';

interface Props<T> {
  readonly items: readonly T[];
  readonly heightOf: (item: T) => number;
  readonly keyOf: (item: T) => string;
  /** The content of an item's <li>; attributes of the <li> come from itemProps. */
  readonly render: (item: T) => ComponentChildren;
  readonly itemProps?: (item: T) => Record<string, string | number | undefined>;
  /** Called with the items in view after the window moved (debounced by the caller if needed). */
  readonly onWindow?: (items: readonly T[]) => void;
  readonly label: string;
  /** Rendered beyond the viewport on each side, px. */
  readonly overscan?: number;
}

/**
 * A list whose items are in the DOM only while near the viewport: the page scrolls as
 * usual (the window, not an inner box), the <ul> is as tall as every item, and the items
 * in view sit at their offsets. Screen readers get the list's real size from
 * aria-setsize/aria-posinset.
 */
export function VirtualList<T>(props: Props<T>) {
  const { items, heightOf, keyOf, render, itemProps, onWindow, label, overscan = 600 } = props;
  const list = useRef<HTMLUListElement>(null);
  const geometry = useMemo(() => layout(items.map(heightOf)), [items, heightOf]);
  const [win, setWin] = useState<Window>({ start: 0, end: 0 });

  useLayoutEffect(() => {
    let frame = 0;
    const measure = () => {
      frame = 0;
      const el = list.current;
      if (!el) return;
      const next = visibleWindow(geometry, -el.getBoundingClientRect().top, window.innerHeight, overscan);
      setWin((prev) => (prev.start === next.start && prev.end === next.end ? prev : next));
    };
    const schedule = () => {
      if (frame === 0) frame = requestAnimationFrame(measure);
    };
    measure();
    window.addEventListener('scroll', schedule, { passive: true });
    window.addEventListener('resize', schedule);
    return () => {
      cancelAnimationFrame(frame);
      window.removeEventListener('scroll', schedule);
      window.removeEventListener('resize', schedule);
    };
  }, [geometry, overscan]);

  const end = Math.min(win.end, items.length);
  const start = Math.min(win.start, end);
  useEffect(() => {
    onWindow?.(items.slice(start, end));
  }, [items, start, end, onWindow]);

  const shown: ComponentChildren[] = [];
  for (let i = start; i < end; i++) {
    const item = items[i] as T;
    shown.push(
      <li
        key={keyOf(item)}
        aria-setsize={items.length}
        aria-posinset={i + 1}
        style={{ top: `${geometry.offsets[i]}px`, height: `${heightOf(item)}px` }}
        {...itemProps?.(item)}
      >
        {render(item)}
      </li>,
    );
  }
  return (
    <ul class="virtual-list" ref={list} aria-label={label} style={{ height: `${totalHeight(geometry)}px` }}>
      {shown}
    </ul>
  );
}
