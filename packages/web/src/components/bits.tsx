import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { dailyLabel, levelOf, sparkLabel, sparkMax, sparkPath } from '../lib/charts.ts';
import { formatDateTime, formatUptime, relativeTime, STATE_LABELS } from '../lib/format.ts';
import type { LiveStatus } from '../lib/live.ts';
import type { CheckState, DailyBucket, HourlyBucket } from '../lib/types.ts';

/** A state as a badge: a shape and a word, on a colour (never the colour alone). */
export function StateBadge({ state }: { state: CheckState }) {
  return (
    <span class={`badge badge-${state}`} data-state={state}>
      <span class="badge-icon" aria-hidden="true" />
      {STATE_LABELS[state]}
    </span>
  );
}

/** A time as "5 min ago", the exact time in a tooltip and for machines. */
export function Ago({ time, now }: { time: string | null | undefined; now: number }) {
  if (!time) return <span>—</span>;
  const then = Date.parse(time);
  // `now` moves every 15 s: a result that arrived since is "just now", not "in 8 s".
  return (
    <time dateTime={time} title={formatDateTime(time)}>
      {relativeTime(then, Math.max(now, then))}
    </time>
  );
}

/** The current time, moving every `everyMs`: relative times stay true without a reload. */
export function useNow(everyMs = 15_000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

const LIVE_TEXT: Readonly<Record<LiveStatus, string>> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  unavailable: 'Live updates unavailable',
  unauthorized: 'Live updates need sign-in',
};

/** Whether the page follows the monitor live; a polite status region, so the change is announced. */
export function LiveIndicator({ status }: { status: LiveStatus }) {
  return (
    <p class={`live live-${status}`} role="status" data-live={status}>
      <span class="live-dot" aria-hidden="true" />
      {LIVE_TEXT[status]}
    </p>
  );
}

const BAR_W = 3;
const BAR_GAP = 1;
const BAR_H = 24;

/** The 90-day daily uptime bar: one rect a day, oldest left; a day without runs is grey and short. */
export function DailyBar({ daily }: { daily: readonly DailyBucket[] }) {
  const width = daily.length * (BAR_W + BAR_GAP) - BAR_GAP;
  return (
    <svg
      class="daily-bar"
      role="img"
      aria-label={dailyLabel(daily)}
      viewBox={`0 0 ${Math.max(width, 1)} ${BAR_H}`}
      preserveAspectRatio="none"
    >
      {daily.map((day, i) => {
        const level = levelOf(day.count > 0 ? day.uptime : null);
        const h = level === 'none' ? BAR_H / 3 : BAR_H;
        return (
          <rect
            key={day.start}
            class={`day day-${level}`}
            x={i * (BAR_W + BAR_GAP)}
            y={BAR_H - h}
            width={BAR_W}
            height={h}
          >
            <title>{`${day.start.slice(0, 10)}: ${level === 'none' ? 'no runs' : `${formatUptime(day.uptime)} of ${day.count} runs`}`}</title>
          </rect>
        );
      })}
    </svg>
  );
}

const SPARK_W = 96;
const SPARK_H = 24;

/** The 24-hour latency sparkline: p95 (thin) over p50 (bold), on a shared scale. */
export function Sparkline({ hourly }: { hourly: readonly HourlyBucket[] }) {
  const max = sparkMax(hourly);
  return (
    <svg
      class="spark"
      role="img"
      aria-label={sparkLabel(hourly)}
      viewBox={`0 0 ${SPARK_W} ${SPARK_H}`}
      preserveAspectRatio="none"
    >
      <path
        class="spark-p95"
        d={sparkPath(
          hourly.map((h) => h.p95Ms),
          SPARK_W,
          SPARK_H - 1,
          max,
        )}
      />
      <path
        class="spark-p50"
        d={sparkPath(
          hourly.map((h) => h.p50Ms),
          SPARK_W,
          SPARK_H - 1,
          max,
        )}
      />
    </svg>
  );
}

/** A message in place of content that could not be loaded. */
export function Notice({ kind = 'info', children }: { kind?: 'info' | 'error'; children: ComponentChildren }) {
  return (
    <p class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : undefined}>
      {children}
    </p>
  );
}
