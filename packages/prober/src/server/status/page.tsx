import { renderToString } from 'preact-render-to-string';
import { CheckRow } from './check-row.js';
import { formatSince, formatTime, type OverallState, type StatusModel } from './model.js';
import { STATUS_CSS } from './styles.js';

const OVERALL: Readonly<Record<OverallState, { text: string; tone: string }>> = {
  operational: { text: 'All systems operational', tone: 'up' },
  degraded: { text: 'Degraded performance', tone: 'degraded' },
  partial: { text: 'Partial outage', tone: 'degraded' },
  major: { text: 'Major outage', tone: 'down' },
  maintenance: { text: 'Under maintenance', tone: 'maintenance' },
  unknown: { text: 'No results yet', tone: 'unknown' },
};

const HISTORY_NOTE = {
  unavailable: 'Uptime history is unavailable right now; the states above are current.',
  none: 'This monitor keeps no uptime history.',
} as const;

function Time({ ms }: { ms: number }) {
  return <time dateTime={new Date(ms).toISOString()}>{formatTime(ms)}</time>;
}

function Incidents({ model }: { model: StatusModel }) {
  return (
    <section aria-labelledby="incidents">
      <h2 id="incidents">Current incidents</h2>
      {model.incidents.length === 0 ? (
        <p class="note">No incidents right now.</p>
      ) : (
        <ul>
          {model.incidents.map((incident) => (
            <li key={`${incident.label}${incident.since}`}>
              <strong>{incident.label}</strong>: failing since <Time ms={incident.since} /> (
              {formatSince(incident.since, model.now)}){incident.maintenance ? ', during maintenance' : ''}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The whole page: landmarks, one h1, a heading per group; nothing that needs a script. */
export function StatusPage({ model }: { model: StatusModel }) {
  const overall = OVERALL[model.overall];
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{model.title}</title>
        {/* A constant: set as is, since escaping would turn its ">" into "&gt;" and break the CSP hash. */}
        <style dangerouslySetInnerHTML={{ __html: STATUS_CSS }} />
      </head>
      <body>
        <header>
          <h1>{model.title}</h1>
          {model.description && <p class="desc">{model.description}</p>}
        </header>
        <main>
          <p class={`banner b-${overall.tone}`}>{overall.text}</p>
          {model.history !== 'available' && <p class="note">{HISTORY_NOTE[model.history]}</p>}
          {model.groups.map((group, index) => (
            <section key={group.name} aria-labelledby={`group-${index}`}>
              <h2 id={`group-${index}`}>{group.name}</h2>
              <ul>
                {group.rows.map((row) => (
                  <CheckRow key={row.label} row={row} />
                ))}
              </ul>
            </section>
          ))}
          <Incidents model={model} />
        </main>
        <footer>
          <p>
            {model.lastResultAt === null ? (
              'No check has run yet.'
            ) : (
              <>
                Last updated <Time ms={model.lastResultAt} />.
              </>
            )}{' '}
            Page generated <Time ms={model.now} />.
          </p>
        </footer>
      </body>
    </html>
  );
}

/** The page as a complete HTML document; every text in it is escaped by Preact. */
export function renderStatusPage(model: StatusModel): string {
  return `<!DOCTYPE html>${renderToString(<StatusPage model={model} />)}`;
}
