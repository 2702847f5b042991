import type { RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import { type Query, quote } from '../request.js';

export const RESULTS_PARAMS = ['since', 'until', 'limit', 'ok'] as const;
export const MAX_LIMIT = 1000;
const MAX_EPOCH_MS = 8.64e15;
/** ISO 8601 date or date-time (RFC 3339 profile); Date.parse alone accepts much more ("1", "March 7"). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** A whole number written in plain decimal digits, nothing else: not "1e3", "0x10", " 5" or "5.0". */
export function parseLimit(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = /^[0-9]{1,7}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 1 && value <= MAX_LIMIT)) {
    throw new ApiError(
      'bad_parameter',
      `limit must be a whole number from 1 to ${MAX_LIMIT} in decimal digits, got ${quote(text)}`,
    );
  }
  return value;
}

export function parseTime(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = /^[0-9]{1,16}$/.test(text) ? Number(text) : ISO_TIME.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms) || ms > MAX_EPOCH_MS) {
    throw new ApiError(
      'bad_parameter',
      `${name} must be an ISO 8601 time or epoch milliseconds (e.g. 2026-06-30T12:00:00Z), got ${quote(text)}`,
    );
  }
  return ms;
}

function parseOk(text: string | undefined): boolean | undefined {
  if (text === undefined) return undefined;
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new ApiError('bad_parameter', `ok must be true (passes only) or false (failures only), got ${quote(text)}`);
}

/**
 * GET /api/v1/checks/{name}/results: raw results newest first, paged by
 * `until`; `ok=false` keeps failures only, `ok=true` passes only. `next`
 * repeats every filter, so paging through failures stays on failures.
 */
export async function results(ctx: RouteContext, name: string, query: Query) {
  query.allow(RESULTS_PARAMS);
  ctx.find(name);
  const limit = parseLimit(query.get('limit'), 100);
  const since = parseTime('since', query.get('since'));
  const until = parseTime('until', query.get('until'));
  const ok = parseOk(query.get('ok'));
  const range = { limit, ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) };
  const page = await ctx.history((store) =>
    ok === undefined ? store.results(name, range) : store.resultsByOutcome(name, ok, range),
  );
  const oldest = page.at(-1);
  const next =
    page.length === limit && oldest
      ? `/api/v1/checks/${encodeURIComponent(name)}/results?${new URLSearchParams({
          ...(since !== undefined ? { since: String(since) } : {}),
          until: String(Date.parse(oldest.time)),
          limit: String(limit),
          ...(ok !== undefined ? { ok: String(ok) } : {}),
        })}`
      : null;
  return { check: name, results: page, next };
}
