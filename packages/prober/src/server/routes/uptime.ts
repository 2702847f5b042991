import { formatDuration, parseDuration } from '../../domain/duration.js';
import { bucketize, resolutionFor, windowStats } from '../../domain/uptime.js';
import type { RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import { type Query, quote } from '../request.js';

export const UPTIME_PARAMS = ['window', 'bucket'] as const;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
export const MAX_WINDOW_MS = 400 * DAY;
export const MAX_BUCKETS = 10_000;
export const DEFAULT_WINDOW = '30d';

/** The bucket used when none is asked for: up to 6h in minutes, up to 3d in hours, longer in days (at most 400). */
export function defaultBucketMs(windowMs: number): number {
  if (windowMs <= 6 * HOUR) return MINUTE;
  if (windowMs <= 3 * DAY) return HOUR;
  return DAY;
}

function duration(text: string): number | undefined {
  // parseDuration trims; a parameter must be exactly a duration.
  return text === text.trim() ? parseDuration(text) : undefined;
}

/**
 * Share of [start, end) covered by buckets that hold results, and when the
 * first of them starts (not before `start`): how much of the window the
 * uptime figure stands on.
 */
export function coverage(
  buckets: readonly { start: string; count: number }[],
  bucketMs: number,
  start: number,
  end: number,
): { coverage: number; dataSince: string | null } {
  let covered = 0;
  let first: number | undefined;
  for (const bucket of buckets) {
    if (bucket.count === 0) continue;
    const from = Math.max(Date.parse(bucket.start), start);
    const to = Math.min(Date.parse(bucket.start) + bucketMs, end);
    if (to <= from) continue;
    covered += to - from;
    first ??= from;
  }
  return {
    coverage: end > start ? Math.round((covered / (end - start)) * 1e6) / 1e6 : 0,
    dataSince: first === undefined ? null : new Date(first).toISOString(),
  };
}

/** GET /api/v1/checks/{name}/uptime: buckets from rollups (never raw results), with how much of the window has data. */
export async function uptime(ctx: RouteContext, name: string, query: Query) {
  query.allow(UPTIME_PARAMS);
  ctx.find(name);
  const windowText = query.get('window') ?? DEFAULT_WINDOW;
  const windowMs = duration(windowText);
  if (windowMs === undefined || windowMs < MINUTE || windowMs > MAX_WINDOW_MS) {
    throw new ApiError('bad_parameter', `window must be a duration from 1m to 400d, got ${quote(windowText)}`);
  }
  const bucketParam = query.get('bucket');
  const bucketMs = bucketParam === undefined ? defaultBucketMs(windowMs) : duration(bucketParam);
  const bucketText = bucketParam ?? formatDuration(bucketMs as number);
  const resolution = bucketMs === undefined ? undefined : resolutionFor(bucketMs);
  if (bucketMs === undefined || resolution === undefined || bucketMs > windowMs) {
    throw new ApiError(
      'bad_parameter',
      `bucket must be a multiple of 1m no longer than the window, got ${quote(bucketText)}`,
    );
  }
  if (windowMs / bucketMs > MAX_BUCKETS) {
    throw new ApiError('bad_parameter', `window / bucket makes more than ${MAX_BUCKETS} buckets; use a larger bucket`);
  }
  const until = ctx.now();
  const since = Math.floor((until - windowMs) / bucketMs) * bucketMs;
  const rows = await ctx.history((store) => store.rollups(name, resolution, since, until + 1));
  const buckets = bucketize(rows, since, until + 1, bucketMs);
  return {
    check: name,
    window: windowText,
    bucket: bucketText,
    resolution,
    uptime: windowStats(rows.map((r) => r.rollup)).uptime,
    ...coverage(buckets, bucketMs, until - windowMs, until),
    buckets,
  };
}
