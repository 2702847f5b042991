import type { ResolvedStatusPage } from '../../config/resolved.js';
import type { Incident } from '../../domain/alerts.js';
import type { CheckResult } from '../../domain/result.js';
import { RESOLUTIONS } from '../../domain/rollup.js';
import type { RollupRow } from '../../store/store.js';

/**
 * What the status page shows, computed from the config, the newest results,
 * the open incidents and the daily rollups. Plain data, no I/O: the page
 * component renders it and nothing else, so what is public is decided here,
 * and only names, labels, states, counts and times ever get in.
 */

export const STATUS_DAYS = 90;
const DAY = RESOLUTIONS.day;

export type PublicState = 'up' | 'degraded' | 'down' | 'maintenance' | 'unknown';
export type OverallState = 'operational' | 'degraded' | 'partial' | 'major' | 'maintenance' | 'unknown';
/** available: the bars are drawn; unavailable: the store cannot be read now; none: storage: none. */
export type HistoryState = 'available' | 'unavailable' | 'none';

/** Runs and failures of one UTC day. */
export interface DayCount {
  readonly start: number;
  readonly count: number;
  readonly failures: number;
}

export interface StatusRow {
  readonly label: string;
  readonly state: PublicState;
  /** Share of runs that passed over the days shown; null without history or runs. */
  readonly uptime: number | null;
  /** STATUS_DAYS days, oldest first; null without history. */
  readonly days: readonly DayCount[] | null;
}

export interface StatusModel {
  readonly title: string;
  readonly description: string | null;
  readonly overall: OverallState;
  readonly groups: readonly { readonly name: string; readonly rows: readonly StatusRow[] }[];
  /** Open incidents of the listed checks, oldest first. */
  readonly incidents: readonly { readonly label: string; readonly since: number; readonly maintenance: boolean }[];
  readonly history: HistoryState;
  /** The newest result of a listed check, epoch ms; null when none has run. */
  readonly lastResultAt: number | null;
  readonly now: number;
}

/**
 * A check's state as the public sees it, from its newest result: a run in a
 * maintenance window is maintenance, pass or fail. Unlike the API's state
 * there is no `late`: a job inside its grace, or a run the monitor is behind
 * on, says nothing to the public about the service.
 */
export function publicState(last: CheckResult | undefined): PublicState {
  if (!last) return 'unknown';
  if (last.maintenance) return 'maintenance';
  if (!last.ok) return 'down';
  return last.degraded ? 'degraded' : 'up';
}

/**
 * The banner: a major outage when more than half of the checks with a known
 * state are down, a partial one when some are; then degraded, maintenance,
 * operational; unknown when no listed check has run yet.
 */
export function overallState(states: readonly PublicState[]): OverallState {
  const count = (state: PublicState) => states.filter((s) => s === state).length;
  const known = states.length - count('unknown');
  const down = count('down');
  if (known === 0) return 'unknown';
  if (down * 2 > known) return 'major';
  if (down > 0) return 'partial';
  if (count('degraded') > 0) return 'degraded';
  if (count('maintenance') > 0) return 'maintenance';
  return 'operational';
}

/** Start of the oldest day shown: the page covers today (UTC) and the STATUS_DAYS - 1 days before it. */
export function firstDay(now: number): number {
  return Math.floor(now / DAY) * DAY - (STATUS_DAYS - 1) * DAY;
}

/** One check's daily rollup rows as STATUS_DAYS counts, oldest first; a day without a row has count 0. */
export function dailyCounts(rows: readonly RollupRow[], now: number): DayCount[] {
  const first = firstDay(now);
  const byDay = new Map<number, { count: number; failures: number }>();
  for (const row of rows) {
    const start = Math.floor(row.bucket / DAY) * DAY;
    const seen = byDay.get(start) ?? { count: 0, failures: 0 };
    byDay.set(start, { count: seen.count + row.rollup.count, failures: seen.failures + row.rollup.failures });
  }
  return Array.from({ length: STATUS_DAYS }, (_, i) => {
    const start = first + i * DAY;
    return { start, ...(byDay.get(start) ?? { count: 0, failures: 0 }) };
  });
}

export interface StatusInputs {
  readonly page: ResolvedStatusPage;
  readonly latest: ReadonlyMap<string, CheckResult>;
  readonly firing: readonly { readonly check: string; readonly incident: Incident }[];
  /** Each listed check's days, or why there are none. */
  readonly days: ReadonlyMap<string, readonly DayCount[]> | Exclude<HistoryState, 'available'>;
  readonly now: number;
}

export function buildStatusModel(input: StatusInputs): StatusModel {
  const { page, latest, days, now } = input;
  const labels = new Map(page.groups.flatMap((g) => g.checks.map((e) => [e.check, e.label] as const)));
  let lastResultAt: number | null = null;
  const states: PublicState[] = [];
  const groups = page.groups.map((group) => ({
    name: group.name,
    rows: group.checks.map((entry): StatusRow => {
      const last = latest.get(entry.check);
      if (last) lastResultAt = Math.max(lastResultAt ?? 0, Date.parse(last.time));
      const state = publicState(last);
      states.push(state);
      const checkDays = typeof days === 'string' ? null : (days.get(entry.check) ?? dailyCounts([], now));
      const total = checkDays?.reduce((n, d) => n + d.count, 0) ?? 0;
      const failures = checkDays?.reduce((n, d) => n + d.failures, 0) ?? 0;
      return { label: entry.label, state, uptime: total > 0 ? (total - failures) / total : null, days: checkDays };
    }),
  }));
  const incidents = input.firing
    .filter((alert) => labels.has(alert.check))
    .sort((a, b) => a.incident.startedAt - b.incident.startedAt)
    .map((alert) => ({
      label: labels.get(alert.check) as string,
      since: alert.incident.startedAt,
      maintenance: alert.incident.maintenance === true,
    }));
  return {
    title: page.title,
    description: page.description,
    overall: overallState(states),
    groups,
    incidents,
    history: typeof days === 'string' ? days : 'available',
    lastResultAt,
    now,
  };
}

/** A share as a percentage, cut (never rounded up) to two decimals: 99.996% is 99.99%, not 100%. */
export function formatPercent(share: number): string {
  if (share >= 1) return '100%';
  return `${(Math.floor(share * 10_000) / 100).toFixed(2)}%`;
}

/** "2026-06-30 11:52 UTC". */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** How long ago, in words a visitor reads at a glance: "8 min", "3 h 5 min", "4 days". */
export function formatSince(fromMs: number, nowMs: number): string {
  const minutes = Math.max(0, Math.floor((nowMs - fromMs) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  return `${Math.floor(minutes / (24 * 60))} days`;
}
