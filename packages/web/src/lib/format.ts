import type { CheckResult, CheckState } from './types.ts';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago"; "in 5 min" for the future. */
export function relativeTime(then: number, now: number): string {
  if (!Number.isFinite(then)) return '—';
  const diff = now - then;
  const abs = Math.abs(diff);
  if (abs < 5 * SECOND) return 'just now';
  const text =
    abs < MINUTE
      ? `${Math.floor(abs / SECOND)} s`
      : abs < HOUR
        ? `${Math.floor(abs / MINUTE)} min`
        : abs < DAY
          ? `${Math.floor(abs / HOUR)} h`
          : `${Math.floor(abs / DAY)} d`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

/** A latency: "850 ms", "1.25 s", "12.3 s", "2 min 5 s"; "—" when unknown. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1) return `${ms.toFixed(2).replace(/\.?0+$/, '')} ms`;
  if (ms < SECOND) return `${Math.round(ms)} ms`;
  if (ms < 10 * SECOND) return `${(ms / SECOND).toFixed(2)} s`;
  if (ms < MINUTE) return `${(ms / SECOND).toFixed(1)} s`;
  const minutes = Math.floor(ms / MINUTE);
  const seconds = Math.round((ms % MINUTE) / SECOND);
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`;
}

/**
 * An uptime ratio as a percentage, one decimal, more when it takes them not to round a
 * failure away: 1 -> "100%", 0.973 -> "97.3%", 0.99996 -> "99.996%", 0.5 -> "50%"; "—"
 * without data. Never "100%" for a ratio below 1.
 */
export function formatUptime(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  if (ratio >= 1) return '100%';
  const percent = ratio * 100;
  for (const digits of [1, 2, 3]) {
    const text = percent.toFixed(digits);
    if (Number(text) < 100) return `${text.replace(/\.?0+$/, '')}%`;
  }
  return '99.999%';
}

/** What the last result's outcome was, shortly: the status code, else the error code. */
export function outcomeText(result: Pick<CheckResult, 'status' | 'error' | 'ok'> | null | undefined): string {
  if (!result) return 'no result yet';
  const parts: string[] = [];
  if (result.status !== null && result.status !== undefined) parts.push(String(result.status));
  if (result.error) parts.push(result.error.code);
  if (parts.length === 0) parts.push(result.ok ? 'ok' : 'failed');
  return parts.join(' · ');
}

/** The words of each state, for badges and filters (never colour alone). */
export const STATE_LABELS: Readonly<Record<CheckState, string>> = {
  up: 'Up',
  down: 'Down',
  degraded: 'Degraded',
  late: 'Late',
  maintenance: 'Maintenance',
  unknown: 'Unknown',
};

// One formatter for all: toLocaleString with options builds a new one per call (milliseconds each).
const DATE_TIME = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** A date and time in the reader's locale. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  return DATE_TIME.format(ms);
}

/** "in 23 days" / "expired 2 days ago" for a certificate's notAfter. */
export function expiryText(iso: string, now: number): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const days = Math.floor(Math.abs(ms - now) / DAY);
  const span = days >= 1 ? `${days} day${days === 1 ? '' : 's'}` : relativeTime(ms, now).replace(/^in | ago$/g, '');
  return ms >= now ? `expires in ${span}` : `expired ${span} ago`;
}

/** A span of time, two units at most: "45 s", "12 min", "2 h 5 min", "3 d 4 h". */
export function formatSpan(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < MINUTE) return `${Math.round(ms / SECOND)} s`;
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min`;
  const two = (big: number, bigUnit: string, small: number, smallUnit: string) =>
    small === 0 ? `${big} ${bigUnit}` : `${big} ${bigUnit} ${small} ${smallUnit}`;
  if (ms < DAY) return two(Math.floor(ms / HOUR), 'h', Math.floor((ms % HOUR) / MINUTE), 'min');
  return two(Math.floor(ms / DAY), 'd', Math.floor((ms % DAY) / HOUR), 'h');
}
