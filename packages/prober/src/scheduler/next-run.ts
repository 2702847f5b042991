import { Cron } from 'croner';
import type { Schedule } from '../config/resolved.js';

type CronSchedule = Schedule & { kind: 'cron' };

function newCron(schedule: CronSchedule): Cron {
  return new Cron(schedule.pattern, { paused: true, timezone: schedule.timezone, mode: '5-or-6-parts' });
}

function next(schedule: Schedule, after: number, anchor: number, cronFor: (s: CronSchedule) => Cron): number {
  if (schedule.kind === 'every') {
    if (after < anchor) return anchor;
    const steps = Math.floor((after - anchor) / schedule.intervalMs) + 1;
    return anchor + steps * schedule.intervalMs;
  }
  const run = cronFor(schedule).nextRun(new Date(after));
  if (!run) throw new Error(`cron "${schedule.pattern}" has no future run`);
  return run.getTime();
}

function previous(schedule: Schedule, at: number, cronFor: (s: CronSchedule) => Cron): number | undefined {
  if (schedule.kind === 'every') return undefined;
  return cronFor(schedule)
    .previousRuns(1, new Date(at + 1))[0]
    ?.getTime();
}

/** Run-time math for a scheduler, with the parsed cron patterns it uses kept for reuse. */
export interface RunPlanner {
  next(schedule: Schedule, after: number, anchor: number): number;
  previous(schedule: Schedule, at: number): number | undefined;
}

/** A planner of its own per scheduler: the cron cache lives and dies with it. */
export function createRunPlanner(): RunPlanner {
  const crons = new Map<string, Cron>();
  const cronFor = (schedule: CronSchedule) => {
    const key = `${schedule.timezone}|${schedule.pattern}`;
    let cron = crons.get(key);
    if (!cron) {
      cron = newCron(schedule);
      crons.set(key, cron);
    }
    return cron;
  };
  return {
    next: (schedule, after, anchor) => next(schedule, after, anchor, cronFor),
    previous: (schedule, at) => previous(schedule, at, cronFor),
  };
}

/**
 * The first planned run strictly after `after` (epoch ms). For `every`, runs
 * sit on a fixed grid that starts at `anchor`, so a late run does not push all
 * later ones back. For cron, croner does the calendar math in the schedule's
 * time zone, DST changes included.
 */
export function nextRunTime(schedule: Schedule, after: number, anchor: number): number {
  return next(schedule, after, anchor, newCron);
}

/** The last planned cron run at or before `at` (epoch ms), or undefined for `every`. */
export function previousRunTime(schedule: Schedule, at: number): number | undefined {
  return previous(schedule, at, newCron);
}

/** The next `count` planned runs after `after`: for tests and for `lifeline validate`. */
export function nextRunTimes(schedule: Schedule, after: number, anchor: number, count: number): number[] {
  const planner = createRunPlanner();
  const out: number[] = [];
  let cursor = after;
  for (let i = 0; i < count; i++) {
    cursor = planner.next(schedule, cursor, anchor);
    out.push(cursor);
  }
  return out;
}
