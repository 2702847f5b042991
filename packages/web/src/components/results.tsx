import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { formatDateTime, formatMs } from '../lib/format.ts';
import type { CheckResult, ResultsPage, Update } from '../lib/types.ts';
import { handleFailure, useSession } from '../session.ts';
import { Ago, Notice } from './bits.tsx';

const PAGE = 50;

export interface Results {
  readonly rows: readonly CheckResult[];
  readonly next: string | null;
  readonly loading: boolean;
  readonly error: string | undefined;
  more(): Promise<void>;
  reload(): Promise<void>;
  /** Live results: newer than the newest row, newest first. */
  prepend(updates: readonly Update[]): void;
}

/** GET /api/v1/checks/{name}/results, paged by its `next`, with live results put on top. */
export function useResults(name: string): Results {
  const session = useSession();
  const [rows, setRows] = useState<readonly CheckResult[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | undefined>(undefined);
  const generation = useRef(0);

  const fetchPage = useCallback(
    async (path: string, append: boolean) => {
      const mine = generation.current;
      setLoading(true);
      try {
        const page = await session.api.get<ResultsPage>(path);
        if (mine !== generation.current) return;
        setRows((prev) => (append ? [...prev, ...page.results] : page.results));
        setNext(page.next);
        setError(undefined);
      } catch (e) {
        if (mine !== generation.current) return;
        const failure = handleFailure(e, session);
        setError(failure.code === 'no_store' ? 'This monitor keeps no history (storage: none).' : failure.message);
      } finally {
        if (mine === generation.current) setLoading(false);
      }
    },
    [session],
  );

  const reload = useCallback(() => {
    generation.current++;
    return fetchPage(`/api/v1/checks/${encodeURIComponent(name)}/results?limit=${PAGE}`, false);
  }, [name, fetchPage]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const more = useCallback(async () => {
    if (next) await fetchPage(next, true);
  }, [next, fetchPage]);

  const prepend = useCallback((updates: readonly Update[]) => {
    setRows((prev) => {
      const newest = prev[0] ? Date.parse(prev[0].time) : Number.NEGATIVE_INFINITY;
      const fresh = updates
        .filter((u) => Date.parse(u.time) > newest)
        .sort((a, b) => Date.parse(b.time) - Date.parse(a.time))
        .map((u): CheckResult => ({ ...u }));
      return fresh.length === 0 ? prev : [...fresh, ...prev];
    });
  }, []);

  return { rows, next, loading, error, more, reload, prepend };
}

export function ResultsTable({ results, now }: { results: Results; now: number }) {
  return (
    <section aria-labelledby="results-title" class="panel">
      <h2 id="results-title">Recent results</h2>
      {results.error && <Notice kind="error">Could not load the results: {results.error}</Notice>}
      {results.rows.length === 0 && !results.loading && !results.error && <Notice>No results stored yet.</Notice>}
      {results.rows.length > 0 && (
        <div class="table-wrap">
          <table class="results">
            <caption class="sr-only">Recent results, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Result</th>
                <th scope="col">Status</th>
                <th scope="col">Error</th>
                <th scope="col">Duration</th>
              </tr>
            </thead>
            <tbody>
              {results.rows.map((r) => (
                <tr key={r.time} data-ok={String(r.ok)}>
                  <td>
                    <span title={formatDateTime(r.time)}>
                      <Ago time={r.time} now={now} />
                    </span>
                  </td>
                  <td>
                    <span class={`badge ${r.ok ? (r.degraded ? 'badge-degraded' : 'badge-up') : 'badge-down'}`}>
                      <span class="badge-icon" aria-hidden="true" />
                      {r.ok ? (r.degraded ? 'Degraded' : 'Passed') : 'Failed'}
                    </span>
                    {r.maintenance && <span class="sub"> (maintenance)</span>}
                  </td>
                  <td>{r.status ?? '—'}</td>
                  <td>
                    {r.error ? (
                      <>
                        <code>{r.error.code}</code> <span class="message">{r.error.message}</span>
                      </>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td class="num">{formatMs(r.durationMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {results.next && (
        <button type="button" class="secondary" disabled={results.loading} onClick={() => void results.more()}>
          {results.loading ? 'Loading…' : 'Load older results'}
        </button>
      )}
    </section>
  );
}
