import type { Check, CheckResult, Update } from './types.ts';

/** Whether an update is not older than what the row shows (equal times apply: the same run again is harmless). */
export function isCurrent(row: Check, update: Update): boolean {
  const shown = row.lastResult ? Date.parse(row.lastResult.time) : Number.NEGATIVE_INFINITY;
  const incoming = Date.parse(update.time);
  return Number.isFinite(incoming) && !(incoming < shown);
}

/** The row after one live update (which must be current: see isCurrent). */
export function applyUpdate(row: Check, update: Update): Check {
  const result: CheckResult = {
    time: update.time,
    check: update.check,
    status: update.status,
    ok: update.ok,
    durationMs: update.durationMs,
    ...(update.degraded ? { degraded: true } : {}),
    ...(update.error ? { error: update.error } : {}),
    ...(update.maintenance ? { maintenance: true } : {}),
  };
  return {
    ...row,
    state: update.state,
    lastResult: result,
    lastFailure: update.ok ? row.lastFailure : result,
    // A failing streak starts at its first failure; a pass ends it.
    downSince: update.ok ? null : (row.downSince ?? update.time),
  };
}

/**
 * Merges a batch of live updates into the rows by name: an update for an unknown check is
 * ignored (the list is refetched on `config`), and an update older than the row's newest
 * result is ignored (a batch sent before a refetch may arrive after it). Returns the same
 * map when nothing changed, so a caller can skip a render.
 */
export function mergeUpdates(rows: ReadonlyMap<string, Check>, updates: readonly Update[]): ReadonlyMap<string, Check> {
  let next: Map<string, Check> | undefined;
  for (const update of updates) {
    const row = (next ?? rows).get(update.check);
    if (!row || !isCurrent(row, update)) continue;
    next ??= new Map(rows);
    next.set(update.check, applyUpdate(row, update));
  }
  return next ?? rows;
}

/** Reads the `results` event's data; anything malformed yields no updates rather than an exception. */
export function parseResultsEvent(data: string): Update[] {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return [];
  }
  const list = (value as { results?: unknown } | null)?.results;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (u): u is Update =>
      typeof u === 'object' &&
      u !== null &&
      typeof u.check === 'string' &&
      typeof u.time === 'string' &&
      typeof u.state === 'string' &&
      typeof u.ok === 'boolean',
  );
}
