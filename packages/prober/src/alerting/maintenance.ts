import { Cron } from 'croner';
import type { MaintenanceWindow } from '../config/resolved.js';

/** Which maintenance windows are open, per check, at a given time. */
export interface MaintenanceCalendar {
  /** The open window covering the check at `now`, if any. */
  active(check: string, now: number): MaintenanceWindow | undefined;
  /** When the window covering the check at `now` ends, epoch ms (the latest end if several overlap), or undefined. */
  endsAt(check: string, now: number): number | undefined;
}

/**
 * A window [start, start + duration) is open at `now` exactly when some start
 * lies in (now - duration, now]: the first start after now - duration, asked
 * of the cron pattern in the window's time zone, answers that (DST included).
 */
export function createMaintenanceCalendar(windows: readonly MaintenanceWindow[]): MaintenanceCalendar {
  const crons = windows.map((window) => ({
    window,
    covers: window.checks === null ? null : new Set(window.checks),
    cron: new Cron(window.schedule.pattern, { paused: true, timezone: window.schedule.timezone, mode: '5-or-6-parts' }),
  }));
  const startOf = (entry: (typeof crons)[number], check: string, now: number): number | undefined => {
    if (entry.covers && !entry.covers.has(check)) return undefined;
    // nextRun(from) is strictly after `from`.
    const start = entry.cron.nextRun(new Date(now - entry.window.durationMs))?.getTime();
    return start !== undefined && start <= now ? start : undefined;
  };
  return {
    active(check, now) {
      for (const entry of crons) if (startOf(entry, check, now) !== undefined) return entry.window;
      return undefined;
    },
    endsAt(check, now) {
      let end: number | undefined;
      for (const entry of crons) {
        const start = startOf(entry, check, now);
        if (start !== undefined) end = Math.max(end ?? 0, start + entry.window.durationMs);
      }
      return end;
    },
  };
}
