import { Cron } from 'croner';
import { formatDuration, MAX_TIMER_MS, parseDuration } from '../domain/duration.js';
import type { Report } from './references.js';
import { DEFAULTS } from './schema.js';

/**
 * A push check's grace against the time between its expected runs: a grace
 * as long as the gap would leave two runs pending at once. Read from the raw
 * document (like references.ts), so these problems come with every other
 * one; a field of the wrong shape is the schema's to report.
 */

/** Runs of a cron push check looked at for the shortest gap between two expected runs. */
export const PUSH_GAP_RUNS = 50;
/** The shortest grace a push check takes (also the schema's minimum). */
export const MIN_GRACE_MS = 1_000;
/**
 * A zone's offset changes by at most this between two runs (DST: 1h, 2h in
 * Antarctica/Troll): a grace this much shorter than the gap of the pattern's
 * wall-clock times needs no run-by-run look in the zone.
 */
const MAX_OFFSET_CHANGE_MS = 3 * 3_600_000;
/**
 * Run-by-run looks in a zone other than UTC per load (each costs ~2 ms in
 * croner); past it the wall-clock gap stands in (exact but for a DST change
 * among the runs), so a hostile file of thousands of distinct patterns stays quick.
 */
const MAX_ZONED_LOOKS = 500;

const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Etc/UCT', 'UCT', 'Zulu', 'Etc/Zulu']);

function gapOf(runs: readonly Date[]): number | undefined {
  let gap: number | undefined;
  for (let i = 1; i < runs.length; i++) {
    const d = (runs[i] as Date).getTime() - (runs[i - 1] as Date).getTime();
    if (gap === undefined || d < gap) gap = d;
  }
  return gap;
}

/**
 * The shortest gap between the next {@link PUSH_GAP_RUNS} runs of a cron
 * pattern after `from`, computed by croner in `timezone` (DST days included);
 * undefined when the pattern or zone is invalid (reported at its own field)
 * or it runs fewer than twice.
 */
export function shortestCronGap(pattern: string, timezone: string, from: Date): number | undefined {
  try {
    const options = UTC_ZONES.has(timezone) ? { utcOffset: 0 } : { timezone };
    return gapOf(new Cron(pattern, { paused: true, mode: '5-or-6-parts', ...options }).nextRuns(PUSH_GAP_RUNS, from));
  } catch {
    return undefined;
  }
}

/** The gap of the pattern's wall-clock times (evaluated as UTC, where no offset ever changes). */
function wallClockGap(pattern: string, from: Date): number | undefined {
  return shortestCronGap(pattern, 'UTC', from);
}

const field = (value: unknown, key: string): unknown =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;

/** Reports each push check whose grace is not shorter than the shortest gap between its expected runs. */
export function pushGapProblems(expanded: unknown, report: Report, now: number = Date.now()): void {
  const checks = field(expanded, 'checks');
  if (!Array.isArray(checks)) return;
  const from = new Date(now);
  const walls = new Map<string, number | undefined>();
  const zoned = new Map<string, number | undefined>();
  let zonedLooks = 0;
  const wallOf = (pattern: string): number | undefined => {
    if (!walls.has(pattern)) walls.set(pattern, wallClockGap(pattern, from));
    return walls.get(pattern);
  };
  const cronGap = (pattern: string, zone: string, grace: number): number | undefined => {
    const wall = wallOf(pattern);
    if (wall === undefined || UTC_ZONES.has(zone) || grace < wall - MAX_OFFSET_CHANGE_MS) return wall;
    const key = `${zone}|${pattern}`;
    if (!zoned.has(key)) {
      if (zonedLooks >= MAX_ZONED_LOOKS) return wall; // past the budget: the wall-clock gap, DST aside
      zonedLooks += 1;
      zoned.set(key, shortestCronGap(pattern, zone, from));
    }
    return zoned.get(key);
  };
  checks.forEach((check: unknown, index) => {
    if (field(check, 'type') !== 'push') return;
    const graceText = field(check, 'grace');
    const given = graceText !== undefined;
    if (given && typeof graceText !== 'string') return;
    const grace = parseDuration(given ? (graceText as string) : DEFAULTS.grace);
    if (grace === undefined || grace < MIN_GRACE_MS || grace > MAX_TIMER_MS) return; // the schema reports it
    const what = given ? `grace "${graceText}"` : `grace ${DEFAULTS.grace} (the default)`;
    const every = field(check, 'every');
    const schedule = field(check, 'schedule');
    if (typeof every === 'string' && schedule === undefined) {
      const interval = parseDuration(every);
      if (interval === undefined || grace < interval) return;
      report(
        ['checks', index, given ? 'grace' : 'every'],
        `${what} is not shorter than every "${every}": two runs would be pending at once; make grace shorter than the interval`,
      );
    } else if (typeof schedule === 'string' && every === undefined) {
      const zone = field(check, 'timezone') ?? DEFAULTS.timezone;
      if (typeof zone !== 'string') return;
      const gap = cronGap(schedule, zone, grace);
      if (gap === undefined || grace < gap) return;
      report(
        ['checks', index, given ? 'grace' : 'schedule'],
        `${what} is not shorter than ${formatDuration(gap)}, the shortest gap between two runs of cron "${schedule}" (${zone}): two runs would be pending at once; make grace shorter than ${formatDuration(gap)}`,
      );
    }
  });
}
