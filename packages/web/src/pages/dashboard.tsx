import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { LiveIndicator, Notice, useNow } from '../components/bits.tsx';
import { CheckRow, GroupRow } from '../components/check-row.tsx';
import { VirtualList } from '../components/virtual-list.tsx';
import { ApiFailure } from '../lib/api.ts';
import { STATE_LABELS } from '../lib/format.ts';
import { mergeUpdates, parseResultsEvent } from '../lib/merge.ts';
import { type BatchResult, OverviewCache } from '../lib/overview.ts';
import { type Check, type CheckState, type ChecksList, type Overview, STATES, type Update } from '../lib/types.ts';
import { buildView, type Item, type View } from '../lib/view.ts';
import { handleFailure, useSession } from '../session.ts';
import { useLiveStream } from '../use-live.ts';

const ROW_HEIGHT = 64;
const GROUP_HEIGHT = 48;
const heightOf = (item: Item) => (item.kind === 'group' ? GROUP_HEIGHT : ROW_HEIGHT);
const keyOf = (item: Item) => (item.kind === 'group' ? `group:${item.name}` : `check:${item.check.name}`);
const itemProps = (item: Item) =>
  item.kind === 'group'
    ? { class: 'item group-row', 'data-group': item.name }
    : { class: 'item check-row', 'data-state': item.state, 'data-check': item.check.name };

type Load =
  | { readonly kind: 'loading' }
  | { readonly kind: 'ready' }
  | { readonly kind: 'error'; readonly message: string };

/** GET /api/v1/checks into rows by name; a 503 still lists the checks (history unavailable). */
async function fetchChecks(get: <T>(path: string) => Promise<T>): Promise<{ list: Check[]; note?: string }> {
  try {
    const body = await get<ChecksList>('/api/v1/checks');
    return {
      list: [...body.checks],
      ...(body.history === 'none' ? { note: 'This monitor keeps no history (storage: none): no uptime or bars.' } : {}),
    };
  } catch (error) {
    const body = error instanceof ApiFailure ? (error.body as Partial<ChecksList> | undefined) : undefined;
    if (error instanceof ApiFailure && error.status === 503 && Array.isArray(body?.checks)) {
      return { list: [...body.checks], note: `History is unavailable: ${error.message}` };
    }
    throw error;
  }
}

/** The list's rows and their loading, kept current by the live stream. */
function useChecks() {
  const session = useSession();
  const [rows, setRows] = useState<ReadonlyMap<string, Check>>(new Map());
  const [load, setLoad] = useState<Load>({ kind: 'loading' });
  const [note, setNote] = useState<string | undefined>(undefined);
  // Updates that arrive while the list is being fetched are applied to the fetched list too:
  // the list may have been computed before them.
  const pending = useRef<Update[] | null>(null);
  const generation = useRef(0);

  const refetch = useCallback(async () => {
    const mine = ++generation.current;
    pending.current = [];
    try {
      const { list, note } = await fetchChecks(session.api.get);
      if (mine !== generation.current) return;
      const fresh = new Map(list.map((c) => [c.name, c]));
      setRows(mergeUpdates(fresh, pending.current ?? []));
      setNote(note);
      setLoad({ kind: 'ready' });
    } catch (error) {
      if (mine !== generation.current) return;
      const failure = handleFailure(error, session);
      setLoad({ kind: 'error', message: failure.message });
    } finally {
      if (mine === generation.current) pending.current = null;
    }
  }, [session]);

  const onResults = useCallback((updates: Update[]) => {
    pending.current?.push(...updates);
    setRows((prev) => mergeUpdates(prev, updates));
  }, []);

  return { rows, load, note, refetch, onResults };
}

/** The 90-day bars and sparklines of the rows in view: asked for once scrolling pauses, cached. */
function useOverview() {
  const session = useSession();
  const [, setVersion] = useState(0);
  const cache = useMemo(
    () =>
      new OverviewCache({
        load: async (names): Promise<BatchResult> => {
          try {
            const body = await session.api.get<{ checks: Record<string, Overview> }>(
              `/api/v1/overview?checks=${names.map(encodeURIComponent).join(',')}`,
            );
            return body.checks ?? {};
          } catch (error) {
            const failure = handleFailure(error, session);
            // An older monitor has no overview route, one without storage no history: its rows show no bars.
            if (failure.status === 404 || failure.code === 'no_store') return 'unavailable';
            throw failure;
          }
        },
        onChange: () => setVersion((v) => v + 1),
      }),
    [session],
  );
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const onWindow = useCallback(
    (items: readonly Item[]) => {
      clearTimeout(timer.current);
      const names = items.flatMap((i) => (i.kind === 'check' ? [i.check.name] : []));
      timer.current = setTimeout(() => void cache.want(names), 120);
    },
    [cache],
  );
  return { cache, onWindow };
}

/** Adds or removes a value of a set held in state. */
function toggle<T>(set: (update: (prev: ReadonlySet<T>) => ReadonlySet<T>) => void, value: T): void {
  set((prev) => {
    const next = new Set(prev);
    if (next.has(value)) next.delete(value);
    else next.add(value);
    return next;
  });
}

export function Dashboard() {
  const now = useNow();
  const { rows, load, note, refetch, onResults } = useChecks();
  const { cache, onWindow } = useOverview();
  const [states, setStates] = useState<ReadonlySet<CheckState>>(new Set());
  const [query, setQuery] = useState('');
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());

  // A layout effect: the request goes out in the same task as the first render, not a frame later.
  useLayoutEffect(() => {
    document.title = 'Checks · Lifeline';
    void refetch();
  }, [refetch]);

  const live = useLiveStream('/api/v1/events', (event) => {
    if (event.type === 'results') onResults(parseResultsEvent(event.data));
    else if (event.type === 'reset' || event.type === 'config') {
      cache.clear();
      void refetch();
    }
  });

  const view = useMemo(() => buildView(rows.values(), { states, query, collapsed }), [rows, states, query, collapsed]);
  // "The list is painted", for the benchmark (bench/dashboard): Preact runs effects after the frame is drawn.
  const painted = useRef(false);
  useEffect(() => {
    if (painted.current || load.kind !== 'ready' || view.items.length === 0) return;
    painted.current = true;
    performance.mark('lifeline:list-painted');
  }, [load.kind, view.items.length]);
  const toggleGroup = useCallback((name: string) => toggle(setCollapsed, name), []);
  const render = (item: Item) =>
    item.kind === 'group' ? (
      <GroupRow item={item} onToggle={toggleGroup} />
    ) : (
      <CheckRow check={item.check} state={item.state} overview={cache.get(item.check.name)} now={now} />
    );

  return (
    <>
      <div class="page-head">
        <h1>Checks</h1>
        <LiveIndicator status={live} />
      </div>
      <Toolbar
        view={view}
        states={states}
        onState={(state) => (state ? toggle(setStates, state) : setStates(new Set()))}
        query={query}
        onQuery={setQuery}
      />
      {note && <Notice>{note}</Notice>}
      {cache.unavailable && load.kind === 'ready' && !note && (
        <Notice>This monitor does not serve the 90-day bars and sparklines (GET /api/v1/overview).</Notice>
      )}
      {load.kind === 'loading' && <Notice>Loading checks…</Notice>}
      {load.kind === 'error' && <Notice kind="error">Could not load the checks: {load.message}</Notice>}
      {load.kind === 'ready' && (
        <>
          <p class="summary" aria-live="polite">
            {view.shown === view.total
              ? `${view.total} check${view.total === 1 ? '' : 's'}`
              : `Showing ${view.shown} of ${view.total} checks`}
          </p>
          <div class="columns" aria-hidden="true">
            <span>State</span>
            <span>Check</span>
            <span>Last result</span>
            <span>Uptime 24h · 7d · 30d</span>
            <span>90 days</span>
            <span>Latency 24h</span>
          </div>
          <VirtualList
            items={view.items}
            heightOf={heightOf}
            keyOf={keyOf}
            itemProps={itemProps}
            render={render}
            onWindow={onWindow}
            label="Checks"
          />
        </>
      )}
    </>
  );
}

/** The state counts, which filter the list (none pressed: every state), and the search. */
function Toolbar(props: {
  view: View;
  states: ReadonlySet<CheckState>;
  onState: (state: CheckState | undefined) => void;
  query: string;
  onQuery: (query: string) => void;
}) {
  const { view, states, onState, query, onQuery } = props;
  return (
    <div class="toolbar">
      <fieldset class="state-filters">
        <legend class="sr-only">Filter by state</legend>
        <button type="button" class="filter" aria-pressed={states.size === 0} onClick={() => onState(undefined)}>
          All <span class="count">{view.total}</span>
        </button>
        {STATES.map((state) => (
          <button
            key={state}
            type="button"
            class={`filter filter-${state}`}
            data-state={state}
            aria-pressed={states.has(state)}
            onClick={() => onState(state)}
          >
            <span class="badge-icon" aria-hidden="true" />
            {STATE_LABELS[state]} <span class="count">{view.counts[state]}</span>
          </button>
        ))}
      </fieldset>
      <div class="search">
        <label for="check-search">Search checks</label>
        <input
          id="check-search"
          type="search"
          placeholder="Name or group"
          autoComplete="off"
          value={query}
          onInput={(e) => onQuery(e.currentTarget.value)}
        />
      </div>
    </div>
  );
}
