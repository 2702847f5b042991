import type { ServerResponse } from 'node:http';
import type { RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import type { Query } from '../request.js';
import { buildStatusModel, type DayCount, dailyCounts, firstDay } from '../status/model.js';
import { renderStatusPage } from '../status/page.js';
import { STATUS_CSS_HASH } from '../status/styles.js';

/**
 * GET /status: the public status page, rendered on the server. Current
 * states come from memory, so the page renders whatever the store does; the
 * daily bars come from day rollups, read once per HISTORY_TTL_MS for every
 * visitor (a public page must not turn each request into store reads), and a
 * failed read is retried after FAILURE_TTL_MS at the soonest.
 */

export const HISTORY_TTL_MS = 30_000;
export const FAILURE_TTL_MS = 5_000;

/** Nothing but the page's own stylesheet: no script, no external resource, no form. */
export const STATUS_PAGE_CSP = `default-src 'none'; style-src ${STATUS_CSS_HASH}; img-src data:; base-uri 'none'; form-action 'none'`;

type Days = ReadonlyMap<string, readonly DayCount[]> | 'unavailable';

export function createStatusPageRoute(ctx: RouteContext) {
  let cached: { key: string; until: number; days: Promise<Days> } | undefined;

  /** Day counts of the listed checks, read one check at a time; a read past its bound stops reading. */
  async function read(names: readonly string[], now: number): Promise<Days> {
    let abandoned = false;
    try {
      return await ctx.history(async (store) => {
        const out = new Map<string, DayCount[]>();
        for (const name of names) {
          if (abandoned) break;
          out.set(name, dailyCounts(await store.rollups(name, 'day', firstDay(now), now + 1), now));
        }
        return out;
      });
    } catch (error) {
      abandoned = true;
      if (error instanceof ApiError) return 'unavailable';
      throw error;
    }
  }

  /** One read shared by every request of the same checks and day until it expires. */
  function days(names: readonly string[], now: number): Promise<Days> {
    const key = `${firstDay(now)}\n${names.join('\n')}`;
    if (cached && cached.key === key && now < cached.until) return cached.days;
    const entry = { key, until: now + HISTORY_TTL_MS, days: read(names, now) };
    cached = entry;
    void entry.days.then((value) => {
      if (value === 'unavailable') entry.until = Math.min(entry.until, now + FAILURE_TTL_MS);
    });
    return entry.days;
  }

  return async function statusPage(res: ServerResponse, query: Query): Promise<void> {
    query.allow([]);
    const page = ctx.deps.statusPage?.();
    if (!page) throw new ApiError('not_found', 'no status page is configured: add statusPage to the config');
    const now = ctx.now();
    const names = page.groups.flatMap((group) => group.checks.map((entry) => entry.check));
    const model = buildStatusModel({
      page,
      latest: ctx.deps.latest(),
      firing: ctx.deps.alerts?.firing() ?? [],
      days: ctx.deps.store ? await days(names, now) : 'none',
      now,
    });
    const html = renderStatusPage(model);
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(html),
      'cache-control': 'no-cache',
      'content-security-policy': STATUS_PAGE_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    res.end(html);
  };
}
