import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Health } from '@lifeline/health';
import type { ResolvedCheck } from '../config/resolved.js';
import { formatDuration, parseDuration } from '../domain/duration.js';
import type { CheckResult } from '../domain/result.js';
import { RESOLUTIONS, type Rollup } from '../domain/rollup.js';
import { bucketize, resolutionFor, stateOf, windowStats } from '../domain/uptime.js';
import type { Store } from '../store/store.js';
import type { Metrics } from './metrics.js';
import { OPENAPI } from './openapi.js';

export interface ApiDeps {
  /** The running config's checks (changes on reload). */
  readonly checks: () => readonly ResolvedCheck[];
  /** Newest result of each check seen by this process. */
  readonly latest: () => ReadonlyMap<string, CheckResult>;
  readonly store?: Store;
  readonly metrics: Metrics;
  readonly health: Health;
  readonly now?: () => number;
}

/** A request the API refuses: the one error translator turns it into JSON. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const DAY = 86_400_000;
const MAX_WINDOW_MS = 400 * DAY;
const MAX_BUCKETS = 10_000;

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

function parseTime(name: string, value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms))
    throw new ApiError(400, 'bad_parameter', `${name} must be an ISO 8601 time or epoch milliseconds, got "${value}"`);
  return ms;
}

function describeSchedule(check: ResolvedCheck): string {
  return check.schedule.kind === 'cron'
    ? `cron ${check.schedule.pattern} (${check.schedule.timezone})`
    : `every ${formatDuration(check.schedule.intervalMs)}`;
}

/**
 * The monitor's HTTP API: thin (parse, call, serialize), with one error
 * translator. Built by createApi(deps); only main.ts listens.
 */
export function createApi(deps: ApiDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const now = deps.now ?? Date.now;

  const find = (name: string): ResolvedCheck => {
    const check = deps.checks().find((c) => c.name === name);
    if (!check) throw new ApiError(404, 'not_found', `no check named "${name}"`);
    return check;
  };
  const requireStore = (): Store => {
    if (!deps.store)
      throw new ApiError(503, 'no_store', 'this monitor runs with storage: none, so it keeps no history');
    return deps.store;
  };

  async function listChecks() {
    const t = now();
    const checks = deps.checks();
    const latest = deps.latest();
    // 24 h from hourly rollups (with histograms, for p95); 7 d and 30 d from daily totals.
    const hours = new Map<string, Rollup[]>();
    let week = new Map<string, { count: number; failures: number }>();
    let month = new Map<string, { count: number; failures: number }>();
    if (deps.store) {
      for (const row of await deps.store.rollups(
        null,
        'hour',
        Math.floor((t - DAY) / RESOLUTIONS.hour) * RESOLUTIONS.hour,
        t + 1,
      )) {
        const list = hours.get(row.check);
        if (list) list.push(row.rollup);
        else hours.set(row.check, [row.rollup]);
      }
      week = await deps.store.totals('day', Math.floor((t - 7 * DAY) / DAY) * DAY, t + 1);
      month = await deps.store.totals('day', Math.floor((t - 30 * DAY) / DAY) * DAY, t + 1);
    }
    const ratio = (x: { count: number; failures: number } | undefined) =>
      x && x.count > 0 ? (x.count - x.failures) / x.count : null;
    return {
      checks: checks.map((check) => {
        const last = latest.get(check.name);
        const day = windowStats(hours.get(check.name) ?? []);
        return {
          name: check.name,
          url: check.displayUrl,
          kind: check.kind,
          schedule: describeSchedule(check),
          state: stateOf(last),
          lastResult: last ?? null,
          uptime: deps.store
            ? { '24h': day.uptime, '7d': ratio(week.get(check.name)), '30d': ratio(month.get(check.name)) }
            : null,
          p95Ms: day.p95Ms,
        };
      }),
    };
  }

  async function results(name: string, params: URLSearchParams) {
    find(name);
    const store = requireStore();
    const limitText = params.get('limit');
    const limit = limitText === null ? 100 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new ApiError(400, 'bad_parameter', `limit must be a whole number from 1 to 1000, got "${limitText}"`);
    }
    const since = parseTime('since', params.get('since'));
    const until = parseTime('until', params.get('until'));
    const page = await store.results(name, {
      limit,
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
    });
    const oldest = page.at(-1);
    const next =
      page.length === limit && oldest
        ? `/api/v1/checks/${encodeURIComponent(name)}/results?${new URLSearchParams({
            ...(since !== undefined ? { since: String(since) } : {}),
            until: String(Date.parse(oldest.time)),
            limit: String(limit),
          })}`
        : null;
    return { check: name, results: page, next };
  }

  async function uptimeOf(name: string, params: URLSearchParams) {
    find(name);
    const store = requireStore();
    const windowText = params.get('window') ?? '30d';
    const bucketText = params.get('bucket') ?? '1d';
    const windowMs = parseDuration(windowText);
    if (windowMs === undefined || windowMs < 60_000 || windowMs > MAX_WINDOW_MS) {
      throw new ApiError(400, 'bad_parameter', `window must be a duration from 1m to 400d, got "${windowText}"`);
    }
    const bucketMs = parseDuration(bucketText);
    const resolution = bucketMs === undefined ? undefined : resolutionFor(bucketMs);
    if (bucketMs === undefined || resolution === undefined || bucketMs > windowMs) {
      throw new ApiError(
        400,
        'bad_parameter',
        `bucket must be a multiple of 1m no longer than the window, got "${bucketText}"`,
      );
    }
    if (windowMs / bucketMs > MAX_BUCKETS) {
      throw new ApiError(
        400,
        'bad_parameter',
        `window / bucket makes more than ${MAX_BUCKETS} buckets; use a larger bucket`,
      );
    }
    const until = now();
    const since = Math.floor((until - windowMs) / bucketMs) * bucketMs;
    const rows = await store.rollups(name, resolution, since, until + 1);
    return {
      check: name,
      window: windowText,
      bucket: bucketText,
      resolution,
      uptime: windowStats(rows.map((r) => r.rollup)).uptime,
      buckets: bucketize(rows, since, until + 1, bucketMs),
    };
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://monitor');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (req.method !== 'GET' && req.method !== 'HEAD')
      throw new ApiError(405, 'method_not_allowed', `${req.method} is not allowed; the API is read-only`);
    if (path === '/metrics') {
      const text = await deps.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
      res.end(text);
      return;
    }
    if (path === '/api/openapi.json') return json(res, 200, OPENAPI);
    if (path === '/api/v1/checks') return json(res, 200, await listChecks());
    const m = /^\/api\/v1\/checks\/([^/]+)\/(results|uptime)$/.exec(path);
    if (m) {
      const name = decodeURIComponent(m[1] as string);
      return json(
        res,
        200,
        m[2] === 'results' ? await results(name, url.searchParams) : await uptimeOf(name, url.searchParams),
      );
    }
    if (path.startsWith('/api/v1/checks/')) {
      const name = decodeURIComponent(path.slice('/api/v1/checks/'.length));
      const check = find(name);
      return json(res, 200, {
        name: check.name,
        url: check.displayUrl,
        kind: check.kind,
        schedule: describeSchedule(check),
        state: stateOf(deps.latest().get(name)),
        lastResult: deps.latest().get(name) ?? null,
      });
    }
    throw new ApiError(404, 'not_found', `no route for ${path}`);
  }

  return (req, res) => {
    if (deps.health.handle(req, res)) return;
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof ApiError) json(res, error.status, { error: error.code, message: error.message });
      else json(res, 500, { error: 'internal', message: (error as Error)?.message ?? String(error) });
    });
  };
}
