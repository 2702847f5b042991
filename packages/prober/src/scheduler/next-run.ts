import { Cron } from 'croner';
import type { Schedule } from '../config/resolved.js';

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
  const cron = new Cron(schedule.pattern, { paused: true, timezone: schedule.timezone, mode: '5-or-6-parts' });
  const next = cron.nextRun(new Date(after));
  if (!next) throw new Error(`cron "${schedule.pattern}" has no future run`);
  return next.getTime();
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
