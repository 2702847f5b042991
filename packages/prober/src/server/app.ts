import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { createAuth, isOpen } from './auth.js';
import { type ApiDeps, createContext } from './context.js';
import { ApiError, guardServer, sendError, sendJson } from './errors.js';
import { OPENAPI } from './openapi.js';
import { parseTarget, quote, type Target } from './request.js';
import { alerts, incidents, notifications } from './routes/alerts.js';
import { badge } from './routes/badges.js';
import { listChecks, oneCheck } from './routes/checks.js';
import { cluster } from './routes/cluster.js';
import { events } from './routes/events.js';
import { overview } from './routes/overview.js';
import { createPushRoutes } from './routes/push.js';
import { results } from './routes/results.js';
import { createStatusPageRoute } from './routes/status-page.js';
import { uptime } from './routes/uptime.js';

export type { ApiDeps } from './context.js';

/**
 * The monitor's HTTP API: thin (parse, call, serialize), with one error
 * translator. Built by createApi(deps); only main.ts listens.
 *
 * Order of a request: the target is parsed (400 for anything malformed, the
 * one place that decodes it); the health paths (/livez, /readyz,
 * /healthcheck) answer without credentials, for probes; the push routes
 * (/api/v1/push/...) take each push check's own token instead; the dashboard's
 * files (/, /checks/*, /assets/*) are public; everything else needs
 * `server.auth`'s credentials when it is set (but /metrics with
 * `metrics: open`, /status unless `statusPage: protected`, the badges with
 * `badges: public`: see isOpen); then the method and the route.
 */
export function createApi(deps: ApiDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const ctx = createContext(deps);
  const auth = createAuth(deps.auth);
  const push = createPushRoutes(ctx);
  const statusPage = createStatusPageRoute(ctx);

  async function route(req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
    const { path, segments, query } = target;
    // Push checks authenticate with their own tokens, not server.auth (see routes/push.ts).
    if (segments[0] === 'api' && segments[1] === 'v1' && segments[2] === 'push') return push.handle(req, res, target);
    // The dashboard's files hold no data (it comes from the API, with credentials): public.
    if (deps.ui?.handle(req, res, target)) return;
    if (!isOpen(auth, path, segments)) auth.verify(req);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new ApiError('method_not_allowed', `${req.method} is not allowed; the API is read-only`, undefined, {
        allow: 'GET, HEAD',
      });
    }
    if (path === '/metrics') {
      query.allow([]);
      const text = await deps.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': deps.metrics.registry.contentType, 'cache-control': 'no-store' });
      res.end(text);
      return;
    }
    if (path === '/status') return statusPage(res, query);
    if (path === '/api/openapi.json') {
      query.allow([]);
      return sendJson(res, 200, OPENAPI);
    }
    const [a, v, c, name, sub, ...rest] = segments;
    if (a === 'api' && v === 'v1' && c === 'checks' && rest.length === 0) {
      if (name === undefined) return sendJson(res, 200, await listChecks(ctx, query));
      if (sub === undefined) return sendJson(res, 200, await oneCheck(ctx, name, query));
      if (sub === 'results') return sendJson(res, 200, await results(ctx, name, query));
      if (sub === 'uptime') return sendJson(res, 200, await uptime(ctx, name, query));
    }
    if (a === 'api' && v === 'v1' && c === 'checks' && name !== undefined && sub === 'badge' && rest.length === 1)
      return badge(ctx, req, res, name, rest[0] as string, query);
    if (a === 'api' && v === 'v1' && name === undefined) {
      // The stream stays open: no sendJson; a refusal before it starts is a JSON error like any other.
      if (c === 'events') return events(ctx, req, res, query);
      if (c === 'overview') return sendJson(res, 200, await overview(ctx, query));
      if (c === 'alerts') return sendJson(res, 200, alerts(ctx, query));
      if (c === 'incidents') return sendJson(res, 200, await incidents(ctx, query));
      if (c === 'notifications') return sendJson(res, 200, await notifications(ctx, query));
      if (c === 'cluster') return sendJson(res, 200, cluster(ctx, query));
    }
    throw new ApiError('not_found', `no route for ${quote(path)}`);
  }

  return (req, res) => {
    let target: Target;
    try {
      if (!hasHost(req))
        throw new ApiError('bad_request', 'an HTTP/1.1 request needs a Host header (RFC 9112 section 3.2)');
      target = parseTarget(req.url);
      // The health handler reads req.url itself: give it the origin form (an absolute-form target is legal HTTP/1.1).
      req.url = target.originForm;
      if (deps.health.handle(req, res)) return;
    } catch (error) {
      sendError(res, error);
      return;
    }
    route(req, res, target).catch((error: unknown) => sendError(res, error));
  };
}

/** HTTP/1.1 requires Host. Reads rawHeaders, so the health fast path never builds req.headers. */
function hasHost(req: IncomingMessage): boolean {
  if (req.httpVersionMajor !== 1 || req.httpVersionMinor === 0) return true;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2)
    if ((raw[i] as string).length === 4 && raw[i]?.toLowerCase() === 'host') return true;
  return false;
}

/**
 * The monitor's HTTP server: createApi's listener, JSON answers for what
 * Node's parser refuses (guardServer), and the Host check done by createApi
 * so that its answer is JSON too. Not listening: main.ts calls listen().
 */
export function createApiServer(deps: ApiDeps): http.Server {
  return guardServer(http.createServer({ requireHostHeader: false }, createApi(deps)));
}
