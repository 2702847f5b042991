import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dailyLabel, hasPhases, levelOf, phaseData, sparkLabel, sparkMax, sparkPath } from './charts.ts';
import type { UptimeBucket } from './types.ts';

describe('daily bar', () => {
  it('levels by uptime', () => {
    assert.deepEqual([null, 1, 0.999, 0.995, 0.5].map(levelOf), ['none', 'ok', 'ok', 'warn', 'bad']);
  });

  it('summarizes for a screen reader, weighting days by their runs', () => {
    const daily = [
      { start: 'd1', uptime: null, count: 0 },
      { start: 'd2', uptime: 1, count: 300 },
      { start: 'd3', uptime: 0.9, count: 100 },
    ];
    assert.equal(dailyLabel(daily), '3-day uptime 97.5%; 1 of 2 days below 99.9%');
    assert.equal(dailyLabel([{ start: 'd1', uptime: null, count: 0 }]), '1-day uptime: no data');
  });
});

describe('sparkline', () => {
  it('draws through the values, scaled to the box, with gaps for null', () => {
    assert.equal(sparkPath([0, 50, null, 100, 200], 40, 10, 100), 'M0 10L10 5M30 0L40 0');
    assert.equal(sparkPath([], 40, 10, 100), '');
    assert.equal(sparkPath([1, 2], 40, 10, 0), '');
    assert.equal(sparkPath([5], 40, 10, 10), 'M0 5');
  });

  it('scales to the highest p50 or p95 and says the newest values', () => {
    const hourly = [
      { start: 'h1', p50Ms: 10, p95Ms: 30, count: 5 },
      { start: 'h2', p50Ms: null, p95Ms: null, count: 0 },
      { start: 'h3', p50Ms: 12, p95Ms: 25, count: 5 },
    ];
    assert.equal(sparkMax(hourly), 30);
    assert.equal(sparkLabel(hourly), '24-hour latency, newest hour: p50 12 ms, p95 25 ms; highest p95 30 ms');
    assert.equal(sparkLabel([]), '24-hour latency: no data');
  });
});

describe('phaseData', () => {
  const bucket = (start: string, count: number, phases: UptimeBucket['phases']): UptimeBucket => ({
    start,
    count,
    failures: 0,
    uptime: count ? 1 : null,
    p50Ms: null,
    p95Ms: null,
    phases,
  });

  it('stacks the phases in order and keeps the raw means; an empty bucket is a gap', () => {
    const data = phaseData([
      bucket('2026-07-01T00:00:00Z', 3, { dns: 1, connect: 2, tls: 3, ttfb: 4, transfer: 5 }),
      bucket('2026-07-01T00:15:00Z', 0, null),
    ]);
    assert.deepEqual(data.x, [1782864000, 1782864900]);
    assert.deepEqual(data.stacked, [
      [1, null],
      [3, null],
      [6, null],
      [10, null],
      [15, null],
    ]);
    assert.deepEqual(data.raw.ttfb, [4, null]);
  });

  it('knows when no bucket has phases (a monitor without them)', () => {
    assert.equal(hasPhases([bucket('2026-07-01T00:00:00Z', 3, undefined)]), false);
    assert.equal(
      hasPhases([bucket('2026-07-01T00:00:00Z', 3, { dns: 0, connect: 0, tls: 0, ttfb: 1, transfer: 0 })]),
      true,
    );
  });
});
