import { CHECK_NAME } from '../../config/fields.js';
import { RESOLUTIONS } from '../../domain/rollup.js';
import { bucketize } from '../../domain/uptime.js';
import type { RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import { type Query, quote } from '../request.js';

/** Checks one request may name in `?checks=`: a dashboard asks for the rows in view. */
export const MAX_CHECK_NAMES = 100;
export const OVERVIEW_DAYS = 90;
export const OVERVIEW_HOURS = 24;

/**
 * `?checks=a,b,c`: 1 to 100 check names (as config spells them), comma-separated;
 * a name given twice counts once. Whether each is configured is for the route to say.
 */
export function parseCheckNames(text: string | undefined, required: boolean): string[] | undefined {
  if (text === undefined) {
    if (!required) return undefined;
    throw new ApiError('bad_parameter', `checks is required: 1 to ${MAX_CHECK_NAMES} check names, comma-separated`);
  }
  const names = text.split(',');
  if (names.length > MAX_CHECK_NAMES) {
    throw new ApiError('bad_parameter', `checks names ${names.length} checks; at most ${MAX_CHECK_NAMES} are allowed`);
  }
  names.forEach((name, i) => {
    if (!CHECK_NAME.test(name)) {
      throw new ApiError(
        'bad_parameter',
        name === ''
          ? `checks has an empty name at position ${i + 1}: give 1 to ${MAX_CHECK_NAMES} names, comma-separated`
          : `checks has ${quote(name)} at position ${i + 1}, which is not a check name (letters, digits, ".", "_", "-")`,
      );
    }
  });
  return [...new Set(names)];
}

/** The `count` buckets of `size` ending with the one `now` is in. */
function lastBuckets(now: number, size: number, count: number) {
  const current = Math.floor(now / size) * size;
  return { since: current - (count - 1) * size, until: current + size };
}

/**
 * GET /api/v1/overview?checks=a,b: what a dashboard row draws for each check
 * in view, from rollups only: the daily uptime of the last 90 days (today
 * included) and p50/p95 latency of the last 24 hours (this hour included),
 * oldest first, empty buckets with count 0 and nulls.
 */
export async function overview(ctx: RouteContext, query: Query) {
  query.allow(['checks']);
  const names = parseCheckNames(query.get('checks'), true) as string[];
  for (const name of names) ctx.find(name);
  const { day, hour } = RESOLUTIONS;
  const now = ctx.now();
  const days = lastBuckets(now, day, OVERVIEW_DAYS);
  const hours = lastBuckets(now, hour, OVERVIEW_HOURS);
  const rows = await ctx.history((store) =>
    Promise.all(
      names.map(async (name) => ({
        name,
        daily: await store.rollups(name, 'day', days.since, days.until),
        hourly: await store.rollups(name, 'hour', hours.since, hours.until),
      })),
    ),
  );
  const checks: Record<string, unknown> = {};
  for (const row of rows) {
    checks[row.name] = {
      daily: bucketize(row.daily, days.since, days.until, day).map((b) => ({
        start: b.start,
        uptime: b.uptime,
        count: b.count,
      })),
      hourly: bucketize(row.hourly, hours.since, hours.until, hour).map((b) => ({
        start: b.start,
        p50Ms: b.p50Ms,
        p95Ms: b.p95Ms,
        count: b.count,
      })),
    };
  }
  return { days: OVERVIEW_DAYS, checks };
}
