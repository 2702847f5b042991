import { Cron } from 'croner';
import type { Schedule } from '../config/resolved.js';

const crons = new Map<string, Cron>();

function cronFor(schedule: Schedule & { kind: 'cron' }): Cron {
  const key = `${schedule.timezone}|${schedule.pattern}`;
  let cron = crons.get(key);
  if (!cron) {
    cron = new Cron(schedule.pattern, { paused: true, timezone: schedule.timezone, mode: '5-or-6-parts' });
    crons.set(key, cron);
  }
  return cron;
}

/**
 * The first planned run strictly after `after` (epoch ms). For `every`, runs
 * sit on a fixed grid that starts at `anchor`, so a late run does not push all
 * later ones back. For cron, croner does the calendar math in the schedule's
 * time zone, DST changes included.
 */
export function nextRunTime(schedule: Schedule, after: number, anchor: number): number {
  if (schedule.kind === 'every') {
    if (after < anchor) return anchor;
    const steps = Math.floor((after - anchor) / schedule.intervalMs) + 1;
    return anchor + steps * schedule.intervalMs;
  }
  const next = cronFor(schedule).nextRun(new Date(after));
  if (!next) throw new Error(`cron "${schedule.pattern}" has no future run`);
  return next.getTime();
}

/** The last planned cron run at or before `at` (epoch ms), or undefined for `every`. */
export function previousRunTime(schedule: Schedule, at: number): number | undefined {
  if (schedule.kind === 'every') return undefined;
  return cronFor(schedule)
    .previousRuns(1, new Date(at + 1))[0]
    ?.getTime();
}

/** The next `count` planned runs after `after`: for tests and for `lifeline validate`. */
export function nextRunTimes(schedule: Schedule, after: number, anchor: number, count: number): number[] {
  const out: number[] = [];
  let cursor = after;
  for (let i = 0; i < count; i++) {
    cursor = nextRunTime(schedule, cursor, anchor);
    out.push(cursor);
  }
  return out;
}
