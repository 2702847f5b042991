import { hash53 } from './hash.js';

/**
 * Where a check's `every` grid starts when several monitors share it: a
 * fixed offset in [0, interval) from the check's name. Every member then
 * plans the same run times (the same slots) whenever it started, so a run
 * slot (check + scheduledAt) names one run on any member, and checks with the
 * same interval are spread over it instead of all firing at once.
 */
export function gridAnchor(check: string, intervalMs: number): number {
  return intervalMs > 0 ? hash53(check, 0x51) % intervalMs : 0;
}

/**
 * The jitter of one planned run, the same on every member: [0, jitterMs)
 * from the check's name and the planned time (a random jitter would give each
 * member a different scheduledAt for the same run).
 */
export function slotJitter(check: string, planned: number, jitterMs: number): number {
  return jitterMs > 0 ? hash53(`${check}\u0000${planned}`, 0x1f) % jitterMs : 0;
}
