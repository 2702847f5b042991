import { formatMs, formatUptime } from './format.ts';
import type { DailyBucket, HourlyBucket, UptimeBucket } from './types.ts';

/** How a day's uptime is drawn: the class of its bar (and the words of its tooltip). */
export type Level = 'none' | 'ok' | 'warn' | 'bad';

export function levelOf(uptime: number | null): Level {
  if (uptime === null) return 'none';
  if (uptime >= 0.999) return 'ok';
  if (uptime >= 0.99) return 'warn';
  return 'bad';
}

export interface DailySummary {
  /** Uptime over the days that have results (weighted by their counts). */
  readonly uptime: number | null;
  readonly daysWithData: number;
  readonly daysBelow: number;
}

/** The words a screen reader hears for a 90-day bar. */
export function summarizeDaily(daily: readonly DailyBucket[]): DailySummary {
  let ok = 0;
  let total = 0;
  let daysWithData = 0;
  let daysBelow = 0;
  for (const day of daily) {
    if (day.uptime === null || day.count === 0) continue;
    daysWithData++;
    total += day.count;
    ok += day.uptime * day.count;
    if (day.uptime < 0.999) daysBelow++;
  }
  return { uptime: total === 0 ? null : ok / total, daysWithData, daysBelow };
}

export function dailyLabel(daily: readonly DailyBucket[]): string {
  const s = summarizeDaily(daily);
  if (s.daysWithData === 0) return `${daily.length}-day uptime: no data`;
  return `${daily.length}-day uptime ${formatUptime(s.uptime)}; ${s.daysBelow} of ${s.daysWithData} days below 99.9%`;
}

/**
 * An SVG path through the values (x evenly spaced over `width`, y scaled so `max` is at the
 * top of `height`), broken where a value is null: a gap in the data stays a gap.
 */
export function sparkPath(values: readonly (number | null)[], width: number, height: number, max: number): string {
  if (values.length === 0 || !(max > 0)) return '';
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  let path = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      pen = false;
      return;
    }
    const x = Math.round(i * step * 10) / 10;
    const y = Math.round((height - (Math.min(v, max) / max) * height) * 10) / 10;
    path += `${pen ? 'L' : 'M'}${x} ${y}`;
    pen = true;
  });
  return path;
}

export function sparkMax(hourly: readonly HourlyBucket[]): number {
  let max = 0;
  for (const h of hourly) max = Math.max(max, h.p95Ms ?? 0, h.p50Ms ?? 0);
  return max;
}

export function sparkLabel(hourly: readonly HourlyBucket[]): string {
  const p50 = hourly.map((h) => h.p50Ms).filter((v): v is number => v !== null);
  const p95 = hourly.map((h) => h.p95Ms).filter((v): v is number => v !== null);
  if (p50.length === 0 && p95.length === 0) return '24-hour latency: no data';
  const last = (list: number[]) => formatMs(list[list.length - 1]);
  return `24-hour latency, newest hour: p50 ${last(p50)}, p95 ${last(p95)}; highest p95 ${formatMs(Math.max(...p95, 0))}`;
}

export const PHASES = ['dns', 'connect', 'tls', 'ttfb', 'transfer'] as const;
export type PhaseName = (typeof PHASES)[number];

export interface PhaseData {
  /** Bucket starts, seconds (uPlot's x). */
  readonly x: number[];
  /** Each phase's mean ms per bucket, null where the bucket has no runs. */
  readonly raw: Readonly<Record<PhaseName, (number | null)[]>>;
  /** Cumulative sums in PHASES order (dns, dns+connect, ...): what a stacked chart draws. */
  readonly stacked: (number | null)[][];
}

/** The check page's stacked latency chart's data from the uptime buckets' `phases`. */
export function phaseData(buckets: readonly UptimeBucket[]): PhaseData {
  const x = buckets.map((b) => Math.floor(Date.parse(b.start) / 1000));
  const raw = Object.fromEntries(PHASES.map((p) => [p, [] as (number | null)[]])) as Record<
    PhaseName,
    (number | null)[]
  >;
  const stacked = PHASES.map(() => [] as (number | null)[]);
  for (const bucket of buckets) {
    let sum = 0;
    PHASES.forEach((phase, i) => {
      const value = bucket.phases && bucket.count > 0 ? bucket.phases[phase] : null;
      raw[phase].push(value ?? null);
      if (value === null || value === undefined) (stacked[i] as (number | null)[]).push(null);
      else {
        sum += value;
        (stacked[i] as (number | null)[]).push(sum);
      }
    });
  }
  return { x, raw, stacked };
}

/** Whether any bucket carries phases (a monitor before phases in rollups sends none). */
export function hasPhases(buckets: readonly UptimeBucket[]): boolean {
  return buckets.some((b) => b.phases && b.count > 0);
}
