import type { Schedule } from '../config/resolved.js';
import { createRunPlanner, type RunPlanner } from './next-run.js';

/** Planned runs kept per cron schedule, at most: the runs around the newest results are what is read. */
export const TIMELINE_RUNS = 64;
/** Cron schedules kept, at most (reloads can bring new ones): past it the timeline starts afresh. */
export const TIMELINE_SCHEDULES = 10_000;
/**
 * Steps a timeline takes back to reach an older time (past that the answer is computed on its
 * own) or forward to reach a newer one (past that it starts afresh there). Results come in time
 * order, a run or two apart; a wider jump costs two steps instead of a walk.
 */
export const TIMELINE_STEPS = 8;

export interface RunTimeline {
  /** The first two planned runs strictly after `t`, or undefined when the schedule has fewer. */
  twoAfter(schedule: Schedule, t: number): readonly [number, number] | undefined;
  /** Runs kept, over all schedules. */
  size(): number;
}

interface Line {
  /** Consecutive planned runs, oldest first. */
  runs: number[];
  /** No planned run lies in (from, runs[0]): the first run after any time >= from is in runs, or after it. */
  from: number;
}

/**
 * The planned runs of each cron schedule, kept as a sorted list shared by
 * every check with that schedule. Croner takes about 0.1 ms per step; a
 * timeline takes one step per planned run (when a result after the end asks
 * for it) and answers everything else by binary search, so 10,000 checks on
 * one pattern cost one step per run, not two per check and read. `every`
 * needs no list: its runs are arithmetic.
 */
export function createRunTimeline(planner: RunPlanner = createRunPlanner()): RunTimeline {
  const lines = new Map<string, Line>();
  const attempt = (fn: () => number | undefined): number | undefined => {
    try {
      return fn();
    } catch {
      return undefined; // a cron pattern with no further run
    }
  };
  return {
    size: () => [...lines.values()].reduce((n, line) => n + line.runs.length, 0),
    twoAfter(schedule, t) {
      if (schedule.kind === 'every') return [t + schedule.intervalMs, t + 2 * schedule.intervalMs];
      const next = (after: number) => attempt(() => planner.next(schedule, after, after));
      const key = `${schedule.timezone}|${schedule.pattern}`;
      let line = lines.get(key);
      if (!line) {
        const first = next(t);
        if (first === undefined) return undefined;
        line = { runs: [first], from: t };
        if (lines.size >= TIMELINE_SCHEDULES) lines.clear();
        lines.set(key, line);
      }
      if (t < line.from && !reachBack(line, t, (at) => attempt(() => planner.previous(schedule, at)))) {
        const first = next(t);
        const second = first === undefined ? undefined : next(first);
        return first === undefined || second === undefined ? undefined : [first, second];
      }
      let i = firstAfter(line.runs, t);
      // Past the end: walk on (results come in time order, so usually a step or two), or start afresh at t.
      for (let step = 0; i >= line.runs.length; step++) {
        const more = step < TIMELINE_STEPS ? next(line.runs[line.runs.length - 1] as number) : next(t);
        if (more === undefined) return undefined;
        if (step >= TIMELINE_STEPS) {
          line.runs = [more];
          line.from = t;
        } else line.runs.push(more);
        i = more > t ? line.runs.length - 1 : line.runs.length;
      }
      if (line.runs.length < i + 2) {
        const more = next(line.runs[i] as number);
        if (more === undefined) return undefined;
        line.runs.push(more);
      }
      const answer: [number, number] = [line.runs[i] as number, line.runs[i + 1] as number];
      trim(line, i);
      return answer;
    },
  };
}

/** Extends the line back until it covers t, a bounded number of steps; false (the line as it was) when that was not enough. */
function reachBack(line: Line, t: number, previous: (at: number) => number | undefined): boolean {
  const from = line.from;
  for (let step = 0; step < TIMELINE_STEPS; step++) {
    const p = previous(line.from); // the last run at or before `from`
    if (p === undefined || p <= t) {
      // Nothing planned in (p, from] either: the first run after t is runs[0].
      line.from = p ?? Number.NEGATIVE_INFINITY;
      return true;
    }
    line.runs.unshift(p);
    line.from = p - 1; // whole milliseconds: nothing lies in (p - 1, p)
    if (t >= line.from) return true;
  }
  line.runs.splice(0, TIMELINE_STEPS);
  line.from = from;
  return false;
}

/** Index of the first run strictly after t (runs.length when none). */
function firstAfter(runs: readonly number[], t: number): number {
  let lo = 0;
  let hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((runs[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Keeps the line within TIMELINE_RUNS, dropping the end farther from where it was just read. */
function trim(line: Line, at: number): void {
  const excess = line.runs.length - TIMELINE_RUNS;
  if (excess <= 0) return;
  if (at >= line.runs.length / 2) {
    line.from = line.runs[excess - 1] as number;
    line.runs.splice(0, excess);
  } else line.runs.length = TIMELINE_RUNS;
}
