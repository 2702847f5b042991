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

/** The phases of a request that rollups keep (a run's `total` is its durationMs, kept as sumMs). */
export type PhaseName = 'dns' | 'connect' | 'tls' | 'ttfb' | 'transfer';
/** Milliseconds per phase: one run's, a sum over runs, or a mean. */
export type PhaseTimes = Readonly<Record<PhaseName, number>>;

/** Milliseconds in hundredths, rounded: what raw results store. */
const cms = (ms: number) => Math.round(ms * 100);
/** A mean in hundredths of a ms, as ms rounded to 0.01 (finer means nothing for a phase). */
const meanMs = (sum: number, n: number) => Math.round(sum / n) / 100;

export interface Rollup {
  count: number;
  failures: number;
  degraded: number;
  sumMs: number;
  maxMs: number;
  /** Counts per bin of BIN_BOUNDS. */
  histogram: number[];
  /**
   * Runs whose phases are in phaseSums. Every run folded since phases were
   * kept (store schema v5) has them; a bucket folded before holds fewer (or
   * none), so means are taken over these runs, never over `count`.
   */
  phased: number;
  /**
   * Sum of each phase over the `phased` runs, in hundredths of a ms: integers,
   * as raw rows store phases, so sums merge exactly whatever the order and
   * grouping (a compaction in chunks, a late result, minutes into hours).
   */
  phaseSums: Record<PhaseName, number>;
}

const zeroPhaseSums = (): Record<PhaseName, number> => ({ dns: 0, connect: 0, tls: 0, ttfb: 0, transfer: 0 });

export const emptyRollup = (): Rollup => ({
  count: 0,
  failures: 0,
  degraded: 0,
  sumMs: 0,
  maxMs: 0,
  histogram: new Array(BIN_BOUNDS.length).fill(0),
  phased: 0,
  phaseSums: zeroPhaseSums(),
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
  /** The run's phases; a run without them is counted but not in the phase means. */
  readonly phases?: PhaseTimes;
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
      const p = r.phases;
      if (p) {
        x.phased += 1;
        const sums = x.phaseSums;
        sums.dns += cms(p.dns);
        sums.connect += cms(p.connect);
        sums.tls += cms(p.tls);
        sums.ttfb += cms(p.ttfb);
        sums.transfer += cms(p.transfer);
      }
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
    phased: a.phased + b.phased,
    phaseSums: {
      dns: a.phaseSums.dns + b.phaseSums.dns,
      connect: a.phaseSums.connect + b.phaseSums.connect,
      tls: a.phaseSums.tls + b.phaseSums.tls,
      ttfb: a.phaseSums.ttfb + b.phaseSums.ttfb,
      transfer: a.phaseSums.transfer + b.phaseSums.transfer,
    },
  };
}

/**
 * The mean of each phase over the runs whose phases were folded; null when
 * there are none (an empty bucket, or one folded before phases were kept).
 */
export function phaseMeans(rollup: Rollup): PhaseTimes | null {
  const n = rollup.phased;
  if (n === 0) return null;
  const s = rollup.phaseSums;
  return {
    dns: meanMs(s.dns, n),
    connect: meanMs(s.connect, n),
    tls: meanMs(s.tls, n),
    ttfb: meanMs(s.ttfb, n),
    transfer: meanMs(s.transfer, n),
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
  /** Mean ms of each phase over the bucket's runs (see phaseMeans); null when none has phases. */
  readonly phases: PhaseTimes | null;
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
    phases: phaseMeans(rollup),
  };
}
