const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The API's cap on window / bucket (GET /api/v1/checks/{name}/uptime). */
export const MAX_BUCKETS = 10_000;
/** About as many points as a chart a few hundred pixels wide can show apart. */
export const TARGET_BUCKETS = 200;

/**
 * Bucket sizes the chart may use, each a whole number of rollup units (the API takes a
 * bucket that is a multiple of 1m and answers from the coarsest rollup that divides it:
 * minutes up to 15m, hours from 1h, days at 1d — within each resolution's retention).
 */
const LADDER: readonly { readonly ms: number; readonly text: string }[] = [
  { ms: MINUTE, text: '1m' },
  { ms: 5 * MINUTE, text: '5m' },
  { ms: 15 * MINUTE, text: '15m' },
  { ms: HOUR, text: '1h' },
  { ms: 3 * HOUR, text: '3h' },
  { ms: 6 * HOUR, text: '6h' },
  { ms: DAY, text: '1d' },
];

export interface Range {
  readonly id: string;
  readonly label: string;
  readonly windowMs: number;
}

/** The check page's ranges. */
export const RANGES: readonly Range[] = [
  { id: '1h', label: '1 hour', windowMs: HOUR },
  { id: '24h', label: '24 hours', windowMs: DAY },
  { id: '7d', label: '7 days', windowMs: 7 * DAY },
  { id: '30d', label: '30 days', windowMs: 30 * DAY },
  { id: '90d', label: '90 days', windowMs: 90 * DAY },
];

/**
 * The finest bucket that keeps the window at most `target` buckets (and always within the
 * API's cap): 1h -> 1m, 24h -> 15m, 7d -> 1h, 30d -> 6h, 90d -> 1d.
 */
export function bucketFor(windowMs: number, target = TARGET_BUCKETS): { ms: number; text: string } {
  const limit = Math.min(Math.max(1, target), MAX_BUCKETS);
  for (const bucket of LADDER) {
    if (bucket.ms <= windowMs && windowMs / bucket.ms <= limit) return bucket;
  }
  const last = LADDER[LADDER.length - 1] as { ms: number; text: string };
  if (windowMs / last.ms <= MAX_BUCKETS) return last;
  // Past 10,000 days: whole days, as many as it takes to stay under the cap.
  const days = Math.ceil(windowMs / DAY / MAX_BUCKETS);
  return { ms: days * DAY, text: `${days}d` };
}

/** The range of an id (from the page's query string), else the default 24 h. */
export function rangeOf(id: string | null | undefined): Range {
  return RANGES.find((r) => r.id === id) ?? (RANGES[1] as Range);
}
