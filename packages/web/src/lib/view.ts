import { type Check, type CheckState, knownState, STATES } from './types.ts';

/** The group of checks that have none. */
export const UNGROUPED = 'Ungrouped';

export interface Filters {
  /** The states shown; empty shows every state. */
  readonly states: ReadonlySet<CheckState>;
  /** Matched against name and group, case-insensitive, every word must match. */
  readonly query: string;
  /** Groups whose checks are hidden. */
  readonly collapsed: ReadonlySet<string>;
}

export type Item =
  | {
      readonly kind: 'group';
      readonly name: string;
      /** Checks of the group that pass the filters. */
      readonly count: number;
      readonly counts: Readonly<Record<CheckState, number>>;
      readonly collapsed: boolean;
    }
  | { readonly kind: 'check'; readonly check: Check; readonly state: CheckState };

export interface View {
  readonly items: readonly Item[];
  /** Checks that pass the filters. */
  readonly shown: number;
  readonly total: number;
  /** Every check, by state, filters aside: the header's summary. */
  readonly counts: Readonly<Record<CheckState, number>>;
}

export function emptyCounts(): Record<CheckState, number> {
  return Object.fromEntries(STATES.map((s) => [s, 0])) as Record<CheckState, number>;
}

function matcher(query: string): (check: Check) => boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return () => true;
  return (check) => {
    const text = `${check.name}\n${check.group ?? ''}`.toLowerCase();
    return words.every((w) => text.includes(w));
  };
}

const byName = (a: Check, b: Check) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The dashboard's list: checks that pass the search and state filters, by group (groups by
 * name, "Ungrouped" last; no group rows at all when no check has a group), by name inside a
 * group. Order does not follow state, so rows do not jump while live updates arrive.
 */
export function buildView(checks: Iterable<Check>, filters: Filters): View {
  const counts = emptyCounts();
  const matches = matcher(filters.query);
  const groups = new Map<string, Check[]>();
  let total = 0;
  let grouped = false;
  for (const check of checks) {
    total++;
    const state = knownState(check.state);
    counts[state]++;
    if (check.group) grouped = true;
    if (filters.states.size > 0 && !filters.states.has(state)) continue;
    if (!matches(check)) continue;
    const key = check.group || UNGROUPED;
    const list = groups.get(key);
    if (list) list.push(check);
    else groups.set(key, [check]);
  }
  const names = [...groups.keys()].sort((a, b) =>
    a === UNGROUPED ? 1 : b === UNGROUPED ? -1 : a < b ? -1 : a > b ? 1 : 0,
  );
  const items: Item[] = [];
  let shown = 0;
  for (const name of names) {
    const list = (groups.get(name) as Check[]).sort(byName);
    shown += list.length;
    const collapsed = grouped && filters.collapsed.has(name);
    if (grouped) {
      const groupCounts = emptyCounts();
      for (const check of list) groupCounts[knownState(check.state)]++;
      items.push({ kind: 'group', name, count: list.length, counts: groupCounts, collapsed });
    }
    if (collapsed) continue;
    for (const check of list) items.push({ kind: 'check', check, state: knownState(check.state) });
  }
  return { items, shown, total, counts };
}
