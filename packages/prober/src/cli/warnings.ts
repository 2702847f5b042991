import type { ResolvedCheck, ResolvedConfig } from '../config/resolved.js';
import { formatDuration } from '../domain/duration.js';
import { nextRunTimes } from '../scheduler/next-run.js';

export interface CheckWarning {
  readonly check: string;
  readonly message: string;
}

/** The shortest gap between the next few runs of a check (a cron's gaps vary: "0 8,9 * * *"). */
function shortestGap(check: ResolvedCheck, now: number): number | undefined {
  if (check.schedule.kind === 'every') return check.schedule.intervalMs;
  const runs = nextRunTimes(check.schedule, now, now, 8);
  let gap: number | undefined;
  for (let i = 1; i < runs.length; i++) {
    const d = (runs[i] as number) - (runs[i - 1] as number);
    if (gap === undefined || d < gap) gap = d;
  }
  return gap;
}

/**
 * What a valid config does that its author may not expect. A timeout longer
 * than the time between runs is allowed (a slow target still gets its full
 * timeout), but runs of a check never overlap: a run still in progress when
 * the next is due makes that next run skipped (logged, and counted as
 * `lifeline_check_results_total{outcome="skipped"}`).
 */
export function configWarnings(config: ResolvedConfig, now: number): CheckWarning[] {
  const out: CheckWarning[] = [];
  for (const check of config.checks) {
    // A push check's timeoutMs is its grace, which the config already keeps shorter than the gap.
    if (check.kind === 'push') continue;
    const gap = shortestGap(check, now);
    if (gap === undefined || check.timeoutMs <= gap) continue;
    out.push({
      check: check.name,
      message: `timeout ${formatDuration(check.timeoutMs)} is longer than the ${formatDuration(gap)} between runs: a run still in progress when the next is due makes that next run skipped (logged, counted as skipped)`,
    });
  }
  return out;
}
