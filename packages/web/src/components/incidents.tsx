import { useEffect, useState } from 'preact/hooks';
import { formatDateTime, formatSpan } from '../lib/format.ts';
import type { Incident, IncidentsPage } from '../lib/types.ts';
import { handleFailure, useSession } from '../session.ts';
import { Notice } from './bits.tsx';

type State =
  | { readonly kind: 'loading' }
  | { readonly kind: 'hidden' }
  | { readonly kind: 'ready'; readonly incidents: readonly Incident[] }
  | { readonly kind: 'error'; readonly message: string };

/**
 * The check's incidents (GET /api/v1/incidents?check=). A monitor that does not track
 * alerts answers 503 (or, before alerting existed, 404): then the section is not shown.
 */
export function Incidents({ name, now }: { name: string; now: number }) {
  const session = useSession();
  const [state, setState] = useState<State>({ kind: 'loading' });

  useEffect(() => {
    const controller = new AbortController();
    session.api
      .get<IncidentsPage>(`/api/v1/incidents?check=${encodeURIComponent(name)}&limit=20`, controller.signal)
      .then((page) => setState({ kind: 'ready', incidents: page.incidents }))
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        const failure = handleFailure(error, session);
        if (failure.status === 503 || failure.status === 404) setState({ kind: 'hidden' });
        else setState({ kind: 'error', message: failure.message });
      });
    return () => controller.abort();
  }, [name, session]);

  if (state.kind === 'hidden' || state.kind === 'loading') return null;
  return (
    <section aria-labelledby="incidents-title" class="panel">
      <h2 id="incidents-title">Incidents</h2>
      {state.kind === 'error' && <Notice kind="error">Could not load the incidents: {state.message}</Notice>}
      {state.kind === 'ready' && state.incidents.length === 0 && <Notice>No incidents.</Notice>}
      {state.kind === 'ready' && state.incidents.length > 0 && (
        <div class="table-wrap">
          <table class="incidents">
            <caption class="sr-only">Incidents, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Ended</th>
                <th scope="col">Lasted</th>
                <th scope="col">Failures</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {state.incidents.map((i) => {
                const end = i.endedAt ? Date.parse(i.endedAt) : now;
                return (
                  <tr key={String(i.id)} data-open={String(i.endedAt === null)}>
                    <td>{formatDateTime(i.startedAt)}</td>
                    <td>{i.endedAt ? formatDateTime(i.endedAt) : <strong>ongoing</strong>}</td>
                    <td class="num">{formatSpan(end - Date.parse(i.startedAt))}</td>
                    <td class="num">{i.failures}</td>
                    <td>
                      {i.error ? (
                        <>
                          <code>{i.error.code}</code> <span class="message">{i.error.message}</span>
                        </>
                      ) : (
                        '—'
                      )}
                      {i.maintenance && <span class="sub"> (maintenance)</span>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
