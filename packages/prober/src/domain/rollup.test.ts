import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BIN_BOUNDS,
  binOf,
  bucketStart,
  emptyRollup,
  foldResults,
  mergeRollups,
  phaseMeans,
  quantile,
  type RollupInput,
  summarize,
  uptime,
} from './rollup.js';
import { bucketize } from './uptime.js';

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
      phases: null,
    });
  });
});

describe('phase latency in rollups', () => {
  const base = Date.parse('2026-01-01T10:00:00Z');
  const run = (at: number, phases?: RollupInput['phases'], durationMs = 10): RollupInput => ({
    check: 'a',
    timeMs: base + at,
    ok: true,
    degraded: false,
    durationMs,
    ...(phases ? { phases } : {}),
  });
  const p = (dns: number, connect: number, tls: number, ttfb: number, transfer: number) => ({
    dns,
    connect,
    tls,
    ttfb,
    transfer,
  });

  const cases: [string, RollupInput[], ReturnType<typeof phaseMeans>][] = [
    ['no runs', [], null],
    ['one run: its phases', [run(0, p(1.5, 2, 3.25, 40, 0.5))], p(1.5, 2, 3.25, 40, 0.5)],
    ['the mean of each phase', [run(0, p(1, 2, 0, 10, 1)), run(1_000, p(3, 4, 0, 30, 2))], p(2, 3, 0, 20, 1.5)],
    [
      'means rounded to 0.01 ms',
      [run(0, p(1, 0, 0, 0, 0)), run(1, p(0, 0, 0, 0, 0)), run(2, p(0, 0, 0, 0, 1))],
      p(0.33, 0, 0, 0, 0.33),
    ],
    ['a run without phases is counted, but not in the means', [run(0, p(4, 4, 4, 4, 4)), run(1)], p(4, 4, 4, 4, 4)],
    ['only runs without phases: no means', [run(0), run(1)], null],
  ];
  for (const [name, runs, expected] of cases) {
    it(name, () => {
      const day = foldResults(runs, ['day']).get(`a|day|${bucketStart(base, 'day')}`)?.rollup ?? emptyRollup();
      assert.equal(day.count, runs.length);
      assert.deepEqual(phaseMeans(day), expected);
      assert.deepEqual(summarize(0, day).phases, expected);
    });
  }

  it('folds the same sums into every resolution, and merges them by adding', () => {
    const runs = [run(0, p(1, 2, 3, 4, 5)), run(30_000, p(2, 2, 2, 2, 2)), run(90_000), run(61_000, p(3, 0, 1, 0, 1))];
    const folded = foldResults(runs);
    const minute0 = folded.get(`a|minute|${base}`)?.rollup ?? emptyRollup();
    const minute1 = folded.get(`a|minute|${base + 60_000}`)?.rollup ?? emptyRollup();
    const hour = folded.get(`a|hour|${base}`)?.rollup ?? emptyRollup();
    assert.deepEqual([minute0.phased, minute0.phaseSums], [2, p(300, 400, 500, 600, 700)]);
    assert.deepEqual([minute1.count, minute1.phased, minute1.phaseSums], [2, 1, p(300, 0, 100, 0, 100)]);
    const merged = mergeRollups(minute0, minute1);
    assert.deepEqual([merged.count, merged.phased, merged.phaseSums], [4, 3, p(600, 400, 600, 600, 800)]);
    assert.deepEqual([hour.phased, hour.phaseSums], [merged.phased, merged.phaseSums]);
    assert.deepEqual(phaseMeans(merged), p(2, 1.33, 2, 2, 2.67));
  });

  it('merges a bucket folded before phases were kept with one folded after', () => {
    const before = { ...emptyRollup(), count: 5, sumMs: 50, maxMs: 10 };
    const after = foldResults([run(0, p(2, 2, 2, 2, 2))], ['hour']).get(`a|hour|${base}`)?.rollup ?? emptyRollup();
    const merged = mergeRollups(before, after);
    assert.deepEqual([merged.count, merged.phased], [6, 1]);
    assert.deepEqual(
      phaseMeans(merged),
      p(2, 2, 2, 2, 2),
      'the mean of the runs that had phases, not diluted by the others',
    );
    assert.equal(phaseMeans(before), null);
  });

  it('bucketizes minute rows into hours with the phase means of all their runs, and empty hours as null', () => {
    const folded = foldResults(
      [run(0, p(1, 1, 1, 1, 1)), run(120_000, p(3, 3, 3, 3, 3)), run(180_000, p(5, 5, 5, 5, 5))],
      ['minute'],
    );
    const rows = [...folded.values()].map((d) => ({ bucket: d.bucket, rollup: d.rollup }));
    const hours = bucketize(rows, base, base + 2 * 3_600_000, 3_600_000);
    assert.deepEqual(
      hours.map((h) => [h.count, h.phases]),
      [
        [3, p(3, 3, 3, 3, 3)],
        [0, null],
      ],
    );
  });
});
