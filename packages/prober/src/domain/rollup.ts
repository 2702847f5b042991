/**
 * Rollup math: results folded into per-minute, per-hour and per-day buckets
 * of counts and a latency histogram, so uptime and percentiles over 30 days
 * or a year never scan raw results. PURE.
 */

export const RESOLUTIONS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
export type Resolution = keyof typeof RESOLUTIONS;

/**
 * Upper bounds (ms) of the latency histogram's bins: 1.25x apart from 0.5 ms
 * to about 60 s, plus an overflow bin. A percentile read from it is within
 * 12.5% of the true value, and histograms of any two buckets merge by adding.
 */
export const BIN_BOUNDS: readonly number[] = (() => {
  const bounds: number[] = [];
  for (let b = 0.5; b < 60_000; b *= 1.25) bounds.push(Math.round(b * 100) / 100);
  bounds.push(Number.POSITIVE_INFINITY);
  return bounds;
})();

export function binOf(ms: number): number {
  let lo = 0;
  let hi = BIN_BOUNDS.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms <= (BIN_BOUNDS[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export interface Rollup {
  count: number;
  failures: number;
  degraded: number;
  sumMs: number;
  maxMs: number;
  /** Counts per bin of BIN_BOUNDS. */
  histogram: number[];
}

export const emptyRollup = (): Rollup => ({
  count: 0,
  failures: 0,
  degraded: 0,
  sumMs: 0,
  maxMs: 0,
  histogram: new Array(BIN_BOUNDS.length).fill(0),
});

export function bucketStart(timeMs: number, resolution: Resolution): number {
  const size = RESOLUTIONS[resolution];
  return Math.floor(timeMs / size) * size;
}

export interface RollupInput {
  readonly check: string;
  readonly timeMs: number;
  readonly ok: boolean;
  readonly degraded: boolean;
  readonly durationMs: number;
}

export interface RollupDelta {
  readonly check: string;
  readonly resolution: Resolution;
  readonly bucket: number;
  readonly rollup: Rollup;
}

/**
 * Folds results into deltas keyed `check|resolution|bucket`, ready to merge
 * into stored rows: what a store's compaction does with finished minutes.
 */
export function foldResults(
  results: readonly RollupInput[],
  resolutions: readonly Resolution[] = ['minute', 'hour', 'day'],
): Map<string, RollupDelta> {
  const out = new Map<string, { check: string; resolution: Resolution; bucket: number; rollup: Rollup }>();
  for (const r of results) {
    for (const resolution of resolutions) {
      const bucket = bucketStart(r.timeMs, resolution);
      const key = `${r.check}|${resolution}|${bucket}`;
      let entry = out.get(key);
      if (!entry) {
        entry = { check: r.check, resolution, bucket, rollup: emptyRollup() };
        out.set(key, entry);
      }
      const x = entry.rollup;
      x.count += 1;
      if (!r.ok) x.failures += 1;
      if (r.degraded) x.degraded += 1;
      x.sumMs += r.durationMs;
      if (r.durationMs > x.maxMs) x.maxMs = r.durationMs;
      const bin = binOf(r.durationMs);
      x.histogram[bin] = (x.histogram[bin] ?? 0) + 1;
    }
  }
  return out;
}

export function mergeRollups(a: Rollup, b: Rollup): Rollup {
  return {
    count: a.count + b.count,
    failures: a.failures + b.failures,
    degraded: a.degraded + b.degraded,
    sumMs: a.sumMs + b.sumMs,
    maxMs: Math.max(a.maxMs, b.maxMs),
    histogram: BIN_BOUNDS.map((_, i) => (a.histogram[i] ?? 0) + (b.histogram[i] ?? 0)),
  };
}

/** The q-quantile (0..1) of the latencies a histogram counted, as the upper bound of its bin; capped at maxMs. */
export function quantile(rollup: Rollup, q: number): number | null {
  if (rollup.count === 0) return null;
  const rank = Math.ceil(q * rollup.count);
  let seen = 0;
  for (let i = 0; i < BIN_BOUNDS.length; i++) {
    seen += rollup.histogram[i] ?? 0;
    if (seen >= rank) return Math.min(BIN_BOUNDS[i] as number, rollup.maxMs);
  }
  return rollup.maxMs;
}

/** Share of runs that passed (degraded counts as up); null when nothing ran. */
export function uptime(rollup: Rollup): number | null {
  return rollup.count === 0 ? null : (rollup.count - rollup.failures) / rollup.count;
}

export interface BucketSummary {
  readonly start: string;
  readonly count: number;
  readonly failures: number;
  readonly degraded: number;
  readonly uptime: number | null;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly maxMs: number | null;
}

export function summarize(startMs: number, rollup: Rollup): BucketSummary {
  return {
    start: new Date(startMs).toISOString(),
    count: rollup.count,
    failures: rollup.failures,
    degraded: rollup.degraded,
    uptime: uptime(rollup),
    p50Ms: quantile(rollup, 0.5),
    p95Ms: quantile(rollup, 0.95),
    maxMs: rollup.count === 0 ? null : rollup.maxMs,
  };
}
