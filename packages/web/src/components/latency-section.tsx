import { useEffect, useState } from 'preact/hooks';
import { formatDateTime, formatUptime } from '../lib/format.ts';
import { bucketFor, RANGES, type Range, rangeOf } from '../lib/ranges.ts';
import type { UptimeAnswer } from '../lib/types.ts';
import { handleFailure, useSession } from '../session.ts';
import { Notice } from './bits.tsx';
import { PhaseChart } from './phase-chart.tsx';

type State =
  | { readonly kind: 'loading' }
  | { readonly kind: 'ready'; readonly answer: UptimeAnswer }
  | { readonly kind: 'error'; readonly message: string };

/** The chart is reloaded this often while the page is open (its newest bucket fills up). */
const REFRESH_MS = 60_000;

/** The range in the address bar (?range=7d), so a link shows the same chart. */
function initialRange(): Range {
  return rangeOf(new URLSearchParams(location.search).get('range'));
}

/** Latency by phase and uptime over a chosen range, from GET /api/v1/checks/{name}/uptime. */
export function LatencySection({ name }: { name: string }) {
  const session = useSession();
  const [range, setRange] = useState(initialRange);
  const [state, setState] = useState<State>({ kind: 'loading' });

  useEffect(() => {
    const bucket = bucketFor(range.windowMs);
    const controller = new AbortController();
    const load = async () => {
      try {
        const answer = await session.api.get<UptimeAnswer>(
          `/api/v1/checks/${encodeURIComponent(name)}/uptime?window=${range.id}&bucket=${bucket.text}`,
          controller.signal,
        );
        setState({ kind: 'ready', answer });
      } catch (error) {
        if (controller.signal.aborted) return;
        const failure = handleFailure(error, session);
        setState({
          kind: 'error',
          message: failure.code === 'no_store' ? 'This monitor keeps no history (storage: none).' : failure.message,
        });
      }
    };
    setState({ kind: 'loading' });
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [name, range, session]);

  const choose = (next: Range) => {
    setRange(next);
    const url = new URL(location.href);
    url.searchParams.set('range', next.id);
    history.replaceState(history.state, '', url.pathname + url.search);
  };

  return (
    <section aria-labelledby="latency-title" class="panel">
      <div class="section-head">
        <h2 id="latency-title">Latency and uptime</h2>
        <fieldset class="ranges">
          <legend class="sr-only">Range</legend>
          {RANGES.map((r) => (
            <button key={r.id} type="button" aria-pressed={r.id === range.id} onClick={() => choose(r)}>
              <span class="sr-only">Last </span>
              {r.id}
            </button>
          ))}
        </fieldset>
      </div>
      {state.kind === 'loading' && <Notice>Loading the last {range.label}…</Notice>}
      {state.kind === 'error' && <Notice kind="error">Could not load the history: {state.message}</Notice>}
      {state.kind === 'ready' && (
        <>
          <p class="range-uptime">
            Uptime over the last {range.label}: <strong data-uptime>{formatUptime(state.answer.uptime)}</strong>
            {state.answer.coverage < 0.999 && state.answer.dataSince && (
              <span class="sub">
                {' '}
                (data covers {formatUptime(state.answer.coverage)} of the range, since{' '}
                {formatDateTime(state.answer.dataSince)})
              </span>
            )}
          </p>
          <PhaseChart
            buckets={state.answer.buckets}
            label={`Mean time per phase, ${state.answer.bucket} buckets, last ${range.label}`}
          />
        </>
      )}
    </section>
  );
}
