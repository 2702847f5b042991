import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_LABEL_CHARS, publicTextProblem } from '../../config/status-page.js';
import { parseDuration } from '../../domain/duration.js';
import { emptyRollup, mergeRollups, quantile, RESOLUTIONS, type Resolution, uptime } from '../../domain/rollup.js';
import type { RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import { type Query, quote } from '../request.js';
import { formatPercent, type PublicState, publicState } from '../status/model.js';

/**
 * Shields-style SVG badges of one check (badge-maker, the library behind
 * shields.io): /api/v1/checks/{name}/badge/status.svg, uptime.svg and
 * response-time.svg. Strong ETag (a hash of the SVG) and 304, so an image
 * proxy revalidates for the price of a hash.
 */

export const BADGES = ['status.svg', 'uptime.svg', 'response-time.svg'] as const;
export const BADGE_STYLES = ['flat', 'flat-square', 'plastic', 'for-the-badge', 'social'] as const;
export const BADGE_STATS = ['avg', 'p50', 'p95'] as const;
const HOUR = 3_600_000;
const MIN_WINDOW_MS = HOUR;
const MAX_WINDOW_MS = 400 * RESOLUTIONS.day;
export const DEFAULT_BADGE_WINDOW = '24h';

const PARAMS: Readonly<Record<(typeof BADGES)[number], readonly string[]>> = {
  'status.svg': ['label', 'style'],
  'uptime.svg': ['window', 'label', 'style'],
  'response-time.svg': ['window', 'stat', 'label', 'style'],
};

const STATE_COLOURS: Readonly<Record<PublicState, string>> = {
  up: 'brightgreen',
  degraded: 'yellow',
  down: 'red',
  maintenance: 'blue',
  unknown: 'lightgrey',
};

/** The first step a value reaches, else the last colour. */
const scale = (value: number, steps: readonly [number, string][], last: string) =>
  steps.find(([limit]) => value >= limit)?.[1] ?? last;

export function uptimeColour(share: number | null): string {
  if (share === null) return 'lightgrey';
  return scale(
    share,
    [
      [0.999, 'brightgreen'],
      [0.99, 'green'],
      [0.97, 'yellowgreen'],
      [0.95, 'yellow'],
      [0.9, 'orange'],
    ],
    'red',
  );
}

export function latencyColour(ms: number | null): string {
  if (ms === null) return 'lightgrey';
  return scale(
    -ms,
    [
      [-200, 'brightgreen'],
      [-500, 'green'],
      [-1000, 'yellow'],
      [-2000, 'orange'],
    ],
    'red',
  );
}

export function formatLatency(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** Rollups fine enough for the window and at most ~500 rows: minutes up to 6 h, hours up to 20 d, else days. */
function resolutionOf(windowMs: number): Resolution {
  if (windowMs <= 6 * HOUR) return 'minute';
  if (windowMs <= 20 * RESOLUTIONS.day) return 'hour';
  return 'day';
}

function parseWindow(query: Query): { text: string; ms: number } {
  const text = query.get('window') ?? DEFAULT_BADGE_WINDOW;
  // parseDuration trims; a parameter must be exactly a duration.
  const ms = text === text.trim() ? parseDuration(text) : undefined;
  if (ms === undefined || ms < MIN_WINDOW_MS || ms > MAX_WINDOW_MS)
    throw new ApiError('bad_parameter', `window must be a duration from 1h to 400d, got ${quote(text)}`);
  return { text, ms };
}

function parseChoice<T extends string>(query: Query, name: string, choices: readonly T[], fallback?: T): T | undefined {
  const value = query.get(name);
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value))
    throw new ApiError('bad_parameter', `${name} must be one of ${choices.join(', ')}, got ${quote(value)}`);
  return value as T;
}

function parseLabel(query: Query): string | undefined {
  const label = query.get('label');
  if (label === undefined) return undefined;
  const problem = publicTextProblem(label, 'label', MAX_LABEL_CHARS);
  if (problem) throw new ApiError('bad_parameter', problem);
  return label;
}

/** The merged rollup of one check over the window, from the stored rollups only. */
async function windowRollup(ctx: RouteContext, name: string, windowMs: number) {
  const resolution = resolutionOf(windowMs);
  const size = RESOLUTIONS[resolution];
  const until = ctx.now();
  const since = Math.floor((until - windowMs) / size) * size;
  const rows = await ctx.history((store) => store.rollups(name, resolution, since, until + 1));
  return rows.map((r) => r.rollup).reduce(mergeRollups, emptyRollup());
}

interface BadgeText {
  readonly label: string;
  readonly message: string;
  readonly color: string;
}

async function badgeText(ctx: RouteContext, name: string, badge: (typeof BADGES)[number], query: Query) {
  if (badge === 'status.svg') {
    const state = publicState(ctx.deps.latest().get(name));
    return { label: name, message: state, color: STATE_COLOURS[state] };
  }
  const window = parseWindow(query);
  if (badge === 'uptime.svg') {
    const share = uptime(await windowRollup(ctx, name, window.ms));
    return {
      label: `uptime ${window.text}`,
      message: share === null ? 'no data' : formatPercent(share),
      color: uptimeColour(share),
    };
  }
  const stat = parseChoice(query, 'stat', BADGE_STATS, 'p95') as (typeof BADGE_STATS)[number];
  const rollup = await windowRollup(ctx, name, window.ms);
  const ms =
    rollup.count === 0
      ? null
      : stat === 'avg'
        ? rollup.sumMs / rollup.count
        : quantile(rollup, stat === 'p50' ? 0.5 : 0.95);
  return {
    label: `${stat} ${window.text}`,
    message: ms === null ? 'no data' : formatLatency(ms),
    color: latencyColour(ms),
  } satisfies BadgeText;
}

/** Whether an If-None-Match header names this ETag (weak comparison, RFC 9110 section 13.1.2). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** GET /api/v1/checks/{name}/badge/{badge}. */
export async function badge(
  ctx: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
  file: string,
  query: Query,
): Promise<void> {
  if (!(BADGES as readonly string[]).includes(file))
    throw new ApiError('not_found', `no badge named ${quote(file)} (badges: ${BADGES.join(', ')})`);
  const kind = file as (typeof BADGES)[number];
  query.allow(PARAMS[kind]);
  ctx.find(name);
  const label = parseLabel(query);
  const style = parseChoice(query, 'style', BADGE_STYLES);
  const text = await badgeText(ctx, name, kind, query);
  // Loaded at the first badge: its character-width tables take ~3.6 MB of heap that a monitor nobody asks for badges never needs.
  const { makeBadge } = await import('badge-maker');
  const svg = makeBadge({ ...text, ...(label !== undefined ? { label } : {}), ...(style ? { style } : {}) });
  const etag = `"${createHash('sha256').update(svg).digest('base64url').slice(0, 27)}"`;
  const headers = {
    etag,
    // Behind server.auth a shared cache must not hand a protected badge to anyone.
    'cache-control': `${ctx.deps.auth?.badges === 'protected' ? 'private' : 'public'}, max-age=60`,
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  };
  if (matchesEtag(req.headers['if-none-match'], etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-type': 'image/svg+xml', 'content-length': Buffer.byteLength(svg) });
  res.end(svg);
}
