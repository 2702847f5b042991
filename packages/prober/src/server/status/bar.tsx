import { type DayCount, formatPercent, STATUS_DAYS } from './model.js';

/** What a day's slot shows: all runs passed, a few failed (at most 1%), more failed, or no runs. */
export function dayClass(day: DayCount): 'up' | 'degraded' | 'down' | 'unknown' {
  if (day.count === 0) return 'unknown';
  if (day.failures === 0) return 'up';
  return day.failures / day.count <= 0.01 ? 'degraded' : 'down';
}

/** "2026-06-30: 99.31% uptime, 1,440 runs" or "2026-06-30: no data". */
export function dayText(day: DayCount): string {
  const date = new Date(day.start).toISOString().slice(0, 10);
  if (day.count === 0) return `${date}: no data`;
  const runs = `${day.count.toLocaleString('en-US')} run${day.count === 1 ? '' : 's'}`;
  return `${date}: ${formatPercent((day.count - day.failures) / day.count)} uptime, ${runs}`;
}

/**
 * The daily uptime bar: one slot per day, oldest first. Each slot is an image
 * whose title is its text (the accessible name, and a tooltip), so the bar is
 * readable without colour and without a pointer.
 */
export function UptimeBar({
  label,
  days,
  uptime,
}: {
  label: string;
  days: readonly DayCount[];
  uptime: number | null;
}) {
  return (
    <figure class="days" aria-label={`Daily uptime of ${label} over the last ${STATUS_DAYS} days`}>
      <div class="bar">
        {days.map((day) => (
          <span key={day.start} role="img" class={`b-${dayClass(day)}`} title={dayText(day)} />
        ))}
      </div>
      <figcaption class="legend">
        <span>{STATUS_DAYS} days ago</span>
        <span>{uptime === null ? 'no data' : `${formatPercent(uptime)} uptime`}</span>
        <span>Today</span>
      </figcaption>
    </figure>
  );
}
