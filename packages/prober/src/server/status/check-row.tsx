import { UptimeBar } from './bar.js';
import type { PublicState, StatusRow } from './model.js';

export const STATE_TEXT: Readonly<Record<PublicState, string>> = {
  up: 'Operational',
  degraded: 'Degraded',
  down: 'Down',
  maintenance: 'Under maintenance',
  unknown: 'No data yet',
};

/** One listed check: its public name, its state in words (colour only repeats it), its bar. */
export function CheckRow({ row }: { row: StatusRow }) {
  return (
    <li class="check">
      <div class="row">
        <h3>{row.label}</h3>
        <span class={`state t-${row.state}`}>{STATE_TEXT[row.state]}</span>
      </div>
      {row.days && <UptimeBar label={row.label} days={row.days} uptime={row.uptime} />}
    </li>
  );
}
