import { formatMs, formatUptime, outcomeText, STATE_LABELS } from '../lib/format.ts';
import { checkHref } from '../lib/router.ts';
import type { Check, CheckState, Overview } from '../lib/types.ts';
import type { Item } from '../lib/view.ts';
import { Ago, DailyBar, Sparkline, StateBadge } from './bits.tsx';

interface RowProps {
  readonly check: Check;
  readonly state: CheckState;
  readonly overview: Overview | undefined;
  readonly now: number;
}

/** One check on the dashboard: state, name, last result, uptimes, 90-day bar, latency sparkline. */
export function CheckRow({ check, state, overview, now }: RowProps) {
  const last = check.lastResult;
  const uptime = check.uptime;
  return (
    <div class="row">
      <StateBadge state={state} />
      <div class="cell name">
        <a class="check-link" href={checkHref(check.name)}>
          {check.name}
        </a>
        <span class="sub">
          {check.kind} · {check.schedule}
        </span>
      </div>
      <div class="cell last">
        <span class={last && !last.ok ? 'outcome failed' : 'outcome'} title={last?.error?.message}>
          {outcomeText(last)}
        </span>
        <span class="sub">
          {last ? (
            <>
              {formatMs(last.durationMs)} · <Ago time={last.time} now={now} />
            </>
          ) : (
            'not run yet'
          )}
        </span>
      </div>
      <dl class="cell uptimes">
        {(['24h', '7d', '30d'] as const).map((w) => (
          <div key={w}>
            <dt>{w}</dt>
            <dd>{formatUptime(uptime?.[w])}</dd>
          </div>
        ))}
      </dl>
      <div class="cell chart">{overview ? <DailyBar daily={overview.daily} /> : <span class="placeholder" />}</div>
      <div class="cell chart spark-cell">
        {overview ? <Sparkline hourly={overview.hourly} /> : <span class="placeholder" />}
      </div>
    </div>
  );
}

/** A group's header: its name as a button that collapses it, and how many of its checks are in each state. */
export function GroupRow({
  item,
  onToggle,
}: {
  item: Extract<Item, { kind: 'group' }>;
  onToggle: (name: string) => void;
}) {
  const bad = (['down', 'degraded', 'late'] as const).filter((s) => item.counts[s] > 0);
  return (
    <div class="group">
      <h2>
        <button type="button" aria-expanded={!item.collapsed} onClick={() => onToggle(item.name)}>
          <span class="chevron" aria-hidden="true" />
          {item.name}
        </button>
      </h2>
      <span class="group-counts">
        {item.count} check{item.count === 1 ? '' : 's'}
        {bad.map((s) => (
          <span key={s} class={`mini mini-${s}`}>
            {' '}
            · {item.counts[s]} {STATE_LABELS[s].toLowerCase()}
          </span>
        ))}
      </span>
    </div>
  );
}
