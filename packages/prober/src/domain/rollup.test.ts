import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BIN_BOUNDS,
  binOf,
  bucketStart,
  emptyRollup,
  foldResults,
  mergeRollups,
  quantile,
  summarize,
  uptime,
} from './rollup.js';

describe('rollups', () => {
  it('bins latencies by upper bound', () => {
    assert.equal(binOf(0), 0);
    assert.equal(binOf(0.5), 0);
    assert.equal(binOf(0.6), 1);
    assert.equal(binOf(1e9), BIN_BOUNDS.length - 1);
    for (let i = 1; i < BIN_BOUNDS.length - 1; i++)
      assert.ok((BIN_BOUNDS[i] as number) / (BIN_BOUNDS[i - 1] as number) <= 1.27);
  });

  it('aligns buckets to minute, hour and day boundaries in UTC', () => {
    const t = Date.parse('2026-03-29T07:59:30.500Z');
    assert.equal(new Date(bucketStart(t, 'minute')).toISOString(), '2026-03-29T07:59:00.000Z');
    assert.equal(new Date(bucketStart(t, 'hour')).toISOString(), '2026-03-29T07:00:00.000Z');
    assert.equal(new Date(bucketStart(t, 'day')).toISOString(), '2026-03-29T00:00:00.000Z');
  });

  it('folds results into each resolution and counts failures and degraded runs', () => {
    const base = Date.parse('2026-01-01T10:00:00Z');
    const folded = foldResults([
      { check: 'a', timeMs: base, ok: true, degraded: false, durationMs: 10 },
      { check: 'a', timeMs: base + 30_000, ok: false, degraded: false, durationMs: 100 },
      { check: 'a', timeMs: base + 61_000, ok: true, degraded: true, durationMs: 20 },
      { check: 'b', timeMs: base, ok: true, degraded: false, durationMs: 5 },
    ]);
    const minute = folded.get(`a|minute|${base}`)?.rollup;
    assert.deepEqual(
      [minute?.count, minute?.failures, minute?.degraded, minute?.maxMs, minute?.sumMs],
      [2, 1, 0, 100, 110],
    );
    const hour = folded.get(`a|hour|${base}`)?.rollup;
    assert.deepEqual([hour?.count, hour?.failures, hour?.degraded], [3, 1, 1]);
    assert.equal(folded.size, 2 + 1 + 1 + 3, 'a: 2 minutes, 1 hour, 1 day; b: one of each');
  });

  it('merges by adding, and reads percentiles within one bin of the truth', () => {
    const folded = foldResults(
      Array.from({ length: 1000 }, (_, i) => ({
        check: 'a',
        timeMs: 0,
        ok: i % 100 !== 0,
        degraded: false,
        durationMs: i + 1,
      })),
    );
    const all = folded.get('a|day|0')?.rollup ?? emptyRollup();
    const merged = mergeRollups(all, all);
    assert.equal(merged.count, 2000);
    assert.equal(uptime(merged), 0.99);
    const p95 = quantile(merged, 0.95) as number;
    assert.ok(p95 >= 950 && p95 <= 950 * 1.25, `p95 ${p95}`);
    const p50 = quantile(merged, 0.5) as number;
    assert.ok(p50 >= 500 && p50 <= 500 * 1.25, `p50 ${p50}`);
    assert.equal(quantile(merged, 1), 1000, 'capped at the max seen');
  });

  it('summarizes an empty bucket without inventing numbers', () => {
    assert.deepEqual(summarize(0, emptyRollup()), {
      start: '1970-01-01T00:00:00.000Z',
      count: 0,
      failures: 0,
      degraded: 0,
      uptime: null,
      p50Ms: null,
      p95Ms: null,
      maxMs: null,
    });
  });
});
