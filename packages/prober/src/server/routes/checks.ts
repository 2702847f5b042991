import type { ResolvedCheck } from '../../config/resolved.js';
import { formatDuration } from '../../domain/duration.js';
import type { CheckResult } from '../../domain/result.js';
import { windowStats } from '../../domain/uptime.js';
import { nextRunTime } from '../../scheduler/next-run.js';
import type { FailureState } from '../../store/store.js';
import type { RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import type { Query } from '../request.js';
import { pushUrl } from './push.js';

/** Whether the stored history backs this answer: "available", "unavailable" (503) or "none" (storage: none). */
export type HistoryState = 'available' | 'unavailable' | 'none';

function describeSchedule(check: ResolvedCheck): string {
  return check.schedule.kind === 'cron'
    ? `cron ${check.schedule.pattern} (${check.schedule.timezone})`
    : `every ${formatDuration(check.schedule.intervalMs)}`;
}

/**
 * The newest failure and the start of the current failing streak: from the
 * store, completed by the newest result in memory (which may not be written
 * yet). Without the store only what the newest result proves is known:
 * lastFailure is the newest result when it failed, and downSince is null.
 */
function failureFields(last: CheckResult | undefined, stored: FailureState | undefined) {
  if (stored === undefined) return { lastFailure: last && !last.ok ? last : null, downSince: null };
  const storedFailure = stored.lastFailure;
  if (last === undefined) {
    return {
      lastFailure: storedFailure,
      downSince: stored.downSince === null ? null : new Date(stored.downSince).toISOString(),
    };
  }
  if (last.ok) return { lastFailure: storedFailure, downSince: null };
  const newer = storedFailure === null || Date.parse(last.time) > Date.parse(storedFailure.time);
  const since = stored.downSince;
  return {
    lastFailure: newer ? last : storedFailure,
    downSince: since === null ? last.time : new Date(since).toISOString(),
  };
}

function checkFields(ctx: RouteContext, check: ResolvedCheck, stored: ReadonlyMap<string, FailureState> | undefined) {
  // A check the store has never seen is in a map that does have the others: it has no failures.
  const failures = stored ? (stored.get(check.name) ?? { lastFailure: null, downSince: null }) : undefined;
  const last = ctx.deps.latest().get(check.name);
  return {
    name: check.name,
    group: check.group,
    url: check.displayUrl,
    kind: check.kind,
    schedule: describeSchedule(check),
    state: ctx.state(check, last),
    lastResult: last ?? null,
    ...failureFields(last, failures),
    ...pushFields(ctx, check),
  };
}

/**
 * What a job needs to ping a push check: its URL, the next run the monitor
 * expects and how late a ping may be. nextExpectedAt is exact for cron
 * schedules and when the PushSink offers nextExpected(); otherwise, for an
 * `every` check, the grid's anchor (the monitor's start) is not known here
 * and it is approximate: one interval from now.
 */
function pushFields(ctx: RouteContext, check: ResolvedCheck) {
  if (check.kind !== 'push' || !check.push) return {};
  const now = ctx.now();
  let next: number | undefined;
  try {
    next = ctx.deps.push?.nextExpected?.(check.name) ?? nextRunTime(check.schedule, now, now);
  } catch {
    next = undefined; // a cron pattern with no future run
  }
  return {
    pushUrl: pushUrl(check.name, ctx.deps.externalUrl),
    nextExpectedAt: next === undefined ? null : new Date(next).toISOString(),
    graceMs: check.push.graceMs,
  };
}

async function readHistory(ctx: RouteContext, names: readonly string[]) {
  return ctx.history(async (store) => {
    const summary = await ctx.summaries(store).get();
    const failures = await store.failureStates(names);
    return { ...summary, failures };
  });
}

const ratio = (x: { count: number; failures: number } | undefined): number | null =>
  x && x.count > 0 ? (x.count - x.failures) / x.count : null;

/**
 * GET /api/v1/checks. Everything in memory (the config, the newest results)
 * is served even when the store cannot be read: then the answer is a 503
 * whose body still lists the checks, with `history: "unavailable"` and the
 * fields that need history null.
 */
export async function listChecks(ctx: RouteContext, query: Query) {
  query.allow([]);
  const checks = ctx.deps.checks();
  let history: Awaited<ReturnType<typeof readHistory>> | undefined;
  let failure: ApiError | undefined;
  if (ctx.deps.store) {
    try {
      history = await readHistory(
        ctx,
        checks.map((c) => c.name),
      );
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      failure = error;
    }
  }
  const state: HistoryState = !ctx.deps.store ? 'none' : history ? 'available' : 'unavailable';
  const body = {
    history: state,
    checks: checks.map((check) => {
      const last24h = history?.day.get(check.name);
      const day = windowStats(last24h ? [last24h] : []);
      return {
        ...checkFields(ctx, check, history?.failures),
        uptime: history
          ? {
              '24h': day.uptime,
              '7d': ratio(history.week.get(check.name)),
              '30d': ratio(history.month.get(check.name)),
            }
          : null,
        p95Ms: history ? day.p95Ms : null,
      };
    }),
  };
  if (failure) throw new ApiError('history_unavailable', failure.message, body);
  return body;
}

/** GET /api/v1/checks/{name}: served from memory, with lastFailure and downSince from the store (503 when it cannot be read). */
export async function oneCheck(ctx: RouteContext, name: string, query: Query) {
  query.allow([]);
  const check = ctx.find(name);
  if (!ctx.deps.store) return { history: 'none' as HistoryState, ...checkFields(ctx, check, undefined) };
  try {
    const stored = await ctx.history((store) => store.failureStates([check.name]));
    return { history: 'available' as HistoryState, ...checkFields(ctx, check, stored) };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    throw new ApiError('history_unavailable', error.message, {
      history: 'unavailable' as HistoryState,
      ...checkFields(ctx, check, undefined),
    });
  }
}
