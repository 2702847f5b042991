import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BatchResult, OverviewCache } from './overview.ts';
import type { Overview } from './types.ts';

const overview = (n: number): Overview => ({
  daily: [{ start: '2026-07-01T00:00:00Z', uptime: n, count: 1 }],
  hourly: [],
});

/** A cache whose loads are recorded and answered by `answer`, on a clock the test moves. */
function setup(answer: (names: readonly string[]) => Promise<BatchResult>, extra = {}) {
  const calls: string[][] = [];
  let changes = 0;
  let t = 1_000_000;
  const cache = new OverviewCache({
    load: (names) => {
      calls.push([...names]);
      return answer(names);
    },
    onChange: () => changes++,
    now: () => t,
    ttlMs: 60_000,
    retryMs: 10_000,
    ...extra,
  });
  return { cache, calls, changes: () => changes, advance: (ms: number) => (t += ms) };
}

const all = (names: readonly string[]): Promise<BatchResult> =>
  Promise.resolve(Object.fromEntries(names.map((n) => [n, overview(1)])));

describe('OverviewCache', () => {
  it('loads the names in view in batches of at most 100, once', async () => {
    const s = setup(all);
    const names = Array.from({ length: 250 }, (_, i) => `c${i}`);
    await s.cache.want(names);
    assert.deepEqual(
      s.calls.map((c) => c.length),
      [100, 100, 50],
    );
    assert.ok(s.cache.get('c249'));
    assert.equal(s.changes(), 3);
    await s.cache.want(names);
    assert.equal(s.calls.length, 3, 'cached names are not asked for again');
  });

  it('does not ask twice for a name already on its way, nor for duplicates', async () => {
    const releases: ((v: BatchResult) => void)[] = [];
    const s = setup(() => new Promise((r) => releases.push(r)));
    const first = s.cache.want(['a', 'b', 'a']);
    assert.deepEqual(s.calls, [['a', 'b']]);
    const second = s.cache.want(['b', 'c']);
    assert.deepEqual(s.calls, [['a', 'b'], ['c']]);
    for (const release of releases) release({ a: overview(1), b: overview(1), c: overview(1) });
    await first;
    await second;
  });

  it('loads a stale entry again after the ttl', async () => {
    const s = setup(all);
    await s.cache.want(['a']);
    s.advance(59_999);
    await s.cache.want(['a']);
    assert.equal(s.calls.length, 1);
    s.advance(1);
    await s.cache.want(['a']);
    assert.equal(s.calls.length, 2);
  });

  it('a failed batch is retried only after retryMs; a name missing from an answer too', async () => {
    let fail = true;
    const s = setup((names) =>
      fail ? Promise.reject(new Error('503')) : Promise.resolve({ [names[0] as string]: overview(1) }),
    );
    await s.cache.want(['a', 'b']);
    assert.equal(s.cache.get('a'), undefined);
    await s.cache.want(['a', 'b']);
    assert.equal(s.calls.length, 1);
    s.advance(10_000);
    fail = false;
    await s.cache.want(['a', 'b']);
    assert.ok(s.cache.get('a'));
    assert.equal(s.cache.get('b'), undefined);
    await s.cache.want(['a', 'b']);
    assert.equal(s.calls.length, 2, 'b, missing from the answer, waits too');
  });

  it('stops asking a monitor without the route, until cleared', async () => {
    const s = setup(() => Promise.resolve('unavailable'));
    await s.cache.want(['a']);
    assert.equal(s.cache.unavailable, true);
    await s.cache.want(['b']);
    assert.equal(s.calls.length, 1);
    s.cache.clear();
    await s.cache.want(['b']);
    assert.equal(s.calls.length, 2);
  });

  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const s = setup(all, { maxEntries: 3 });
    await s.cache.want(['a', 'b', 'c']);
    s.cache.get('a');
    await s.cache.want(['d']);
    assert.equal(s.cache.size, 3);
    assert.equal(s.cache.get('b'), undefined);
    assert.ok(s.cache.get('a'));
  });
});
