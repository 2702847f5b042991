import {
  type BucketSummary,
  emptyRollup,
  mergeRollups,
  quantile,
  RESOLUTIONS,
  type Resolution,
  type Rollup,
  summarize,
  uptime,
} from './rollup.js';

/** The coarsest stored resolution that divides a bucket size exactly. */
export function resolutionFor(bucketMs: number): Resolution | undefined {
  for (const resolution of ['day', 'hour', 'minute'] as const) {
    if (bucketMs % RESOLUTIONS[resolution] === 0) return resolution;
  }
  return undefined;
}

/**
 * Cuts [since, until) into buckets of `bucketMs` aligned to the epoch and
 * merges the rollup rows that fall in each; empty buckets stay, with count 0.
 */
export function bucketize(
  rows: readonly { bucket: number; rollup: Rollup }[],
  since: number,
  until: number,
  bucketMs: number,
): BucketSummary[] {
  const first = Math.floor(since / bucketMs) * bucketMs;
  const merged = new Map<number, Rollup>();
  for (const row of rows) {
    const start = Math.floor(row.bucket / bucketMs) * bucketMs;
    merged.set(start, mergeRollups(merged.get(start) ?? emptyRollup(), row.rollup));
  }
  const out: BucketSummary[] = [];
  for (let start = first; start < until; start += bucketMs)
    out.push(summarize(start, merged.get(start) ?? emptyRollup()));
  return out;
}

export interface WindowStats {
  readonly uptime: number | null;
  readonly count: number;
  readonly p95Ms: number | null;
}

export function windowStats(rollups: readonly Rollup[]): WindowStats {
  const all = rollups.reduce(mergeRollups, emptyRollup());
  return { uptime: uptime(all), count: all.count, p95Ms: quantile(all, 0.95) };
}
