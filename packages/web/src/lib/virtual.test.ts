import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { indexAt, layout, totalHeight, visibleWindow } from './virtual.ts';

describe('virtual list window', () => {
  // 10,000 rows of 60 px with a 40 px group header every 100 rows.
  const heights = Array.from({ length: 10_100 }, (_, i) => (i % 101 === 0 ? 40 : 60));
  const l = layout(heights);

  it('knows the total height and the item at a position', () => {
    assert.equal(totalHeight(l), 100 * 40 + 10_000 * 60);
    assert.equal(indexAt(l, 0), 0);
    assert.equal(indexAt(l, 39.9), 0);
    assert.equal(indexAt(l, 40), 1);
    assert.equal(indexAt(l, 99), 1);
    assert.equal(indexAt(l, 100), 2);
    assert.equal(indexAt(l, 1e12), heights.length - 1);
    assert.equal(indexAt(l, -5), 0);
  });

  it('renders only what intersects the viewport plus the overscan', () => {
    assert.deepEqual(visibleWindow(l, 0, 600, 0), { start: 0, end: 11 });
    const w = visibleWindow(l, 100_000, 900, 120);
    const top = l.offsets[w.start] as number;
    const bottom = l.offsets[w.end] as number;
    assert.ok(top <= 100_000 - 120 && (l.offsets[w.start + 1] as number) > 100_000 - 120);
    assert.ok(bottom >= 100_900 + 120 && (l.offsets[w.end - 1] as number) < 100_900 + 120);
    assert.ok(w.end - w.start <= Math.ceil((900 + 240) / 40) + 2, 'a screenful of rows, not thousands');
  });

  it('a list that starts below the viewport top, or lies outside it, renders accordingly', () => {
    // The list starts 300 px down a 600 px viewport: its first 300 px show.
    assert.deepEqual(visibleWindow(l, -300, 600, 0), { start: 0, end: 6 });
    assert.deepEqual(visibleWindow(l, -700, 600, 0), { start: 0, end: 0 });
    assert.deepEqual(visibleWindow(l, totalHeight(l) + 10, 600, 0), { start: 0, end: 0 });
    const last = visibleWindow(l, totalHeight(l) - 100, 600, 50);
    assert.equal(last.end, heights.length);
  });

  it('an empty list renders nothing', () => {
    assert.deepEqual(visibleWindow(layout([]), 0, 600, 100), { start: 0, end: 0 });
    assert.equal(totalHeight(layout([])), 0);
  });

  it('a row starting exactly at the bottom edge is not rendered', () => {
    const flat = layout([50, 50, 50, 50]);
    assert.deepEqual(visibleWindow(flat, 0, 100, 0), { start: 0, end: 2 });
    assert.deepEqual(visibleWindow(flat, 25, 100, 0), { start: 0, end: 3 });
  });
});
