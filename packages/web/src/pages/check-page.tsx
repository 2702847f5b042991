import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { Ago, LiveIndicator, Notice, StateBadge, useNow } from '../components/bits.tsx';
import { Incidents } from '../components/incidents.tsx';
import { LatencySection } from '../components/latency-section.tsx';
import { ResultsTable, useResults } from '../components/results.tsx';
import { ApiFailure } from '../lib/api.ts';
import { expiryText, formatDateTime, outcomeText } from '../lib/format.ts';
import { mergeUpdates, parseResultsEvent } from '../lib/merge.ts';
import { type Check, knownState, type Update } from '../lib/types.ts';
import { handleFailure, useSession } from '../session.ts';
import { useLiveStream } from '../use-live.ts';

type Detail =
  | { readonly kind: 'loading' }
  | { readonly kind: 'ready'; readonly check: Check; readonly note?: string }
  | { readonly kind: 'error'; readonly message: string; readonly missing: boolean };

/** GET /api/v1/checks/{name}; a 503 still carries what the monitor knows from memory. */
function useDetail(name: string) {
  const session = useSession();
  const [detail, setDetail] = useState<Detail>({ kind: 'loading' });
  const load = useCallback(async () => {
    try {
      const check = await session.api.get<Check>(`/api/v1/checks/${encodeURIComponent(name)}`);
      setDetail({ kind: 'ready', check });
    } catch (error) {
      const body = error instanceof ApiFailure ? (error.body as Check | undefined) : undefined;
      if (error instanceof ApiFailure && error.status === 503 && body?.name === name) {
        setDetail({ kind: 'ready', check: body, note: `History is unavailable: ${error.message}` });
        return;
      }
      const failure = handleFailure(error, session);
      setDetail({ kind: 'error', message: failure.message, missing: failure.status === 404 });
    }
  }, [name, session]);
  /** A live update: applied at once; the conditions and certificate come with the next load. */
  const apply = useCallback((updates: Update[]) => {
    setDetail((prev) => {
      if (prev.kind !== 'ready') return prev;
      const merged = mergeUpdates(new Map([[prev.check.name, prev.check]]), updates).get(prev.check.name);
      if (!merged || merged === prev.check) return prev;
      // Keep the last full result's conditions and certificate until the reload brings the new ones.
      const old = prev.check.lastResult;
      const lastResult = merged.lastResult && old ? { ...old, ...merged.lastResult } : merged.lastResult;
      return { ...prev, check: { ...merged, lastResult } };
    });
  }, []);
  return { detail, load, apply };
}

export function CheckPage({ name }: { name: string }) {
  const now = useNow();
  const { detail, load, apply } = useDetail(name);
  const results = useResults(name);
  const [epoch, setEpoch] = useState(0);
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    document.title = `${name} · Lifeline`;
    void load();
    return () => clearTimeout(reloadTimer.current);
  }, [name, load]);

  const live = useLiveStream(`/api/v1/events?checks=${encodeURIComponent(name)}`, (event) => {
    if (event.type === 'results') {
      const updates = parseResultsEvent(event.data).filter((u) => u.check === name);
      if (updates.length === 0) return;
      apply(updates);
      results.prepend(updates);
      // The full result (conditions, certificate) comes from the check route, at most every 2 s.
      reloadTimer.current ??= setTimeout(() => {
        reloadTimer.current = undefined;
        void load();
      }, 2_000);
    } else if (event.type === 'reset' || event.type === 'config') {
      void load();
      void results.reload();
      setEpoch((e) => e + 1);
    }
  });

  if (detail.kind === 'loading') return <Notice>Loading {name}…</Notice>;
  if (detail.kind === 'error') {
    return (
      <section class="panel">
        <h1>{name}</h1>
        <Notice kind="error">
          {detail.missing ? `There is no check named ${name}.` : `Could not load ${name}: ${detail.message}`}
        </Notice>
        <p>
          <a href="/">See all checks</a>
        </p>
      </section>
    );
  }
  const check = detail.check;
  const state = knownState(check.state);
  return (
    <article class="check-page" data-state={state} data-check={check.name}>
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <a href="/">All checks</a> <span aria-hidden="true">›</span> <span aria-current="page">{check.name}</span>
      </nav>
      <div class="page-head">
        <h1>{check.name}</h1>
        <StateBadge state={state} />
        <LiveIndicator status={live} />
      </div>
      {detail.note && <Notice>{detail.note}</Notice>}
      <Facts check={check} now={now} />
      <LatencySection key={epoch} name={check.name} />
      <Conditions check={check} />
      <Certificate check={check} now={now} />
      <ResultsTable results={results} now={now} />
      <Incidents key={`i${epoch}`} name={check.name} now={now} />
    </article>
  );
}

function Facts({ check, now }: { check: Check; now: number }) {
  const last = check.lastResult;
  return (
    <dl class="facts">
      <div>
        <dt>Target</dt>
        <dd class="url">{check.url}</dd>
      </div>
      <div>
        <dt>Kind</dt>
        <dd>{check.kind}</dd>
      </div>
      <div>
        <dt>Schedule</dt>
        <dd>{check.schedule}</dd>
      </div>
      <div>
        <dt>Group</dt>
        <dd>{check.group ?? '—'}</dd>
      </div>
      <div>
        <dt>Last result</dt>
        <dd>
          {last ? (
            <>
              {outcomeText(last)} · <Ago time={last.time} now={now} />
            </>
          ) : (
            'not run yet'
          )}
        </dd>
      </div>
      <div>
        <dt>Down since</dt>
        <dd>{check.downSince ? <time dateTime={check.downSince}>{formatDateTime(check.downSince)}</time> : '—'}</dd>
      </div>
      {last?.error && (
        <div class="wide">
          <dt>Error</dt>
          <dd>
            <code>{last.error.code}</code> {last.error.message}
          </dd>
        </div>
      )}
    </dl>
  );
}

function Conditions({ check }: { check: Check }) {
  const conditions = check.lastResult?.conditions;
  if (!conditions || conditions.length === 0) return null;
  return (
    <section aria-labelledby="conditions-title" class="panel">
      <h2 id="conditions-title">Conditions</h2>
      <p class="sub">As evaluated on the last full result.</p>
      <ul class="conditions">
        {conditions.map((c) => (
          <li key={c.condition} class={c.ok ? 'pass' : 'fail'} data-ok={String(c.ok)}>
            <span class={`badge ${c.ok ? 'badge-up' : 'badge-down'}`}>
              <span class="badge-icon" aria-hidden="true" />
              {c.ok ? 'Passed' : 'Failed'}
            </span>
            <code>{c.condition}</code>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Certificate({ check, now }: { check: Check; now: number }) {
  const expires = check.lastResult?.certificateExpiresAt;
  if (!expires) return null;
  const ms = Date.parse(expires);
  const soon = ms - now < 14 * 86_400_000;
  return (
    <section aria-labelledby="certificate-title" class="panel">
      <h2 id="certificate-title">Certificate</h2>
      <p class={soon ? 'cert cert-soon' : 'cert'}>
        <strong>{expiryText(expires, now)}</strong> (<time dateTime={expires}>{formatDateTime(expires)}</time>)
      </p>
    </section>
  );
}
