import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  buildReport,
  type CheckOutcome,
  HEALTH_JSON,
  httpStatusFor,
  overallStatus,
  type ReportMeta,
  verboseText,
} from './report.js';
import type { Runner } from './runner.js';
import { decodeComponent, type MalformedTarget, parseRequestTarget, shown } from './target.js';

export interface HealthPaths {
  readonly health: string;
  readonly live: string;
  readonly ready: string;
}

export interface HandlerDeps {
  readonly runner: Runner;
  readonly paths: HealthPaths;
  /** Checks about this process only (plus the built-in `ping`). */
  readonly liveNames: readonly string[];
  /** Every other check (plus the built-in `shutdown`). */
  readonly readyNames: readonly string[];
  readonly meta: ReportMeta;
  readonly details: 'always' | 'never';
  readonly detailsToken?: string;
  readonly isShuttingDown: () => boolean;
  readonly now: () => Date;
}

type Kind = 'live' | 'ready' | 'health';
const EMPTY: CheckOutcome[] = [];
const ENDPOINT_NAME: Readonly<Record<Kind, string>> = { live: 'livez', ready: 'readyz', health: 'healthcheck' };

/** `Accept` asks for JSON. Reads rawHeaders, so the fast path never builds req.headers. */
function acceptsJson(req: IncomingMessage): boolean {
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 6 && name.toLowerCase() === 'accept')
      return /application\/(health\+)?json/.test(raw[i + 1] as string);
  }
  return false;
}

const TEXT_HEADERS = {
  'content-type': 'text/plain; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};
const JSON_HEADERS = { 'content-type': HEALTH_JSON, 'cache-control': 'no-store' };
const OK_HEADERS = { ...TEXT_HEADERS, 'content-length': '2' };
const ERROR_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string,
): void {
  const length = Buffer.byteLength(body);
  res.writeHead(status, { ...headers, 'content-length': String(length) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** 400 for a request target or check name that cannot be decoded; names what was malformed. */
function badRequest(req: IncomingMessage, res: ServerResponse, message: string): void {
  send(req, res, 400, ERROR_HEADERS, JSON.stringify({ error: 'bad_request', message }));
}

/** A bug in the handler or a check runner: a 500 without internals, unless the answer has begun. */
function failed(req: IncomingMessage, res: ServerResponse): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  send(req, res, 500, ERROR_HEADERS, JSON.stringify({ error: 'internal_error', message: 'the health handler failed' }));
}

/**
 * The node:http request handler for the health paths: the fast path. Returns
 * false for any other path so the app handles it. Query strings never break
 * matching (`/healthcheck?verbose` is still `/healthcheck`), and with cached
 * results a request does no I/O and allocates little. A malformed health path or
 * query (`/readyz/%ZZ`) and a request line that is not a URL (`GET http://[/x`) get a
 * 400 JSON answer; a malformed other path is left to the app. Nothing a request
 * carries makes it throw.
 */
export function createHandler(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { paths, runner } = deps;
  const livePrefix = `${paths.live}/`;
  const readyPrefix = `${paths.ready}/`;
  const allNames = [...deps.liveNames, ...deps.readyNames];
  const known = new Set(allNames);
  const token = deps.detailsToken ? sha256(deps.detailsToken) : undefined;

  const ping = (): CheckOutcome => ({
    name: 'ping',
    status: 'pass',
    critical: true,
    componentType: 'system',
    measurement: 'responseTime',
    observedValue: 0,
    observedUnit: 'ms',
    time: deps.now().toISOString(),
  });
  const shutdown = (): CheckOutcome =>
    deps.isShuttingDown()
      ? {
          name: 'shutdown',
          status: 'fail',
          critical: true,
          componentType: 'system',
          measurement: 'status',
          observedValue: 'shutting down',
          time: deps.now().toISOString(),
          output: 'the process is shutting down',
        }
      : {
          name: 'shutdown',
          status: 'pass',
          critical: true,
          componentType: 'system',
          measurement: 'status',
          observedValue: 'running',
          time: deps.now().toISOString(),
        };

  const showDetails = (req: IncomingMessage): boolean => {
    if (deps.details === 'always') return true;
    const given = req.headers.authorization;
    if (!token || !given) return false;
    // RFC 9110 section 11.1: the scheme is case-insensitive. Digests of equal length make
    // the comparison constant-time whatever the length of what was sent.
    const match = /^bearer +(\S+) *$/i.exec(given);
    return match !== null && timingSafeEqual(sha256(match[1] as string), token);
  };

  const respond = (
    req: IncomingMessage,
    res: ServerResponse,
    kind: Kind,
    single: string | undefined,
    params: URLSearchParams | undefined,
    given: CheckOutcome[],
  ) => {
    // One check asked for by name reports its own state, as kube-apiserver's /readyz/<name>
    // does: a failing non-critical check is 503 here, though it only warns the aggregate.
    const outcomes = single === undefined ? given : given.map((o) => (o.critical ? o : { ...o, critical: true }));
    const excluded = params ? params.getAll('exclude').filter((n) => outcomes.some((o) => o.name === n)) : [];
    const counted = excluded.length > 0 ? outcomes.filter((o) => !excluded.includes(o.name)) : outcomes;
    const status = overallStatus(counted);
    const code = httpStatusFor(status);
    const details = showDetails(req);
    const verbose = params?.has('verbose') ?? false;
    const wantsJson = !verbose && (kind === 'health' || acceptsJson(req));
    if (wantsJson) {
      send(req, res, code, JSON_HEADERS, JSON.stringify(buildReport(deps.meta, counted, details)));
      return;
    }
    const name = single ?? ENDPOINT_NAME[kind];
    // Like kube-apiserver: "ok" when all pass, the full listing when asked for or when something fails.
    if (!verbose && status !== 'fail') {
      send(req, res, code, TEXT_HEADERS, 'ok');
      return;
    }
    send(req, res, code, TEXT_HEADERS, verboseText(name, counted, excluded, details));
  };

  /** The handler proper; `handle` below only adds the guard against bugs. */
  /**
   * The fast path: a probe with no query string, every result cached, nothing failing,
   * text wanted. No report, no req.headers: the answer is "ok". False when it does not apply.
   */
  const answeredOk = (req: IncomingMessage, res: ServerResponse, kind: 'live' | 'ready'): boolean => {
    const status = runner.cachedStatus(kind === 'live' ? deps.liveNames : deps.readyNames);
    if (status === undefined || status === 'fail' || (kind === 'ready' && deps.isShuttingDown()) || acceptsJson(req))
      return false;
    res.writeHead(200, OK_HEADERS);
    res.end(req.method === 'HEAD' ? undefined : 'ok');
    return true;
  };

  const route = (req: IncomingMessage, res: ServerResponse): boolean => {
    // The kubelet's probe, exactly as it sends it: answered before any parsing.
    const url = req.url;
    if (
      (url === paths.live || url === paths.ready) &&
      (req.method === 'GET' || req.method === 'HEAD') &&
      answeredOk(req, res, url === paths.live ? 'live' : 'ready')
    ) {
      return true;
    }
    const target = parseRequestTarget(url ?? '/');
    if (target === undefined) return false;
    // A request line that is not a URL (`GET http://[/x`) has no path anyone could route.
    if (target.path === undefined) {
      badRequest(req, res, (target as MalformedTarget).error);
      return true;
    }
    let path = target.path;
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);

    let kind: Kind;
    let raw: string | undefined;
    if (path === paths.live) kind = 'live';
    else if (path === paths.ready) kind = 'ready';
    else if (path === paths.health) kind = 'health';
    else if (path.startsWith(livePrefix)) {
      kind = 'live';
      raw = path.slice(livePrefix.length);
    } else if (path.startsWith(readyPrefix)) {
      kind = 'ready';
      raw = path.slice(readyPrefix.length);
    } else return false; // another path, malformed or not, is the app's to answer
    if ('error' in target) {
      badRequest(req, res, target.error);
      return true;
    }
    const single = raw === undefined ? undefined : decodeComponent(raw);
    if (raw !== undefined && single === undefined) {
      badRequest(req, res, `malformed percent-encoding in the check name ${shown(raw)}`);
      return true;
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(
        req,
        res,
        405,
        { ...TEXT_HEADERS, allow: 'GET, HEAD' },
        `${req.method} is not allowed here; use GET or HEAD\n`,
      );
      return true;
    }

    if (target.query === undefined && single === undefined && kind !== 'health' && answeredOk(req, res, kind)) {
      return true;
    }

    let names: readonly string[];
    const synthetic: CheckOutcome[] = [];
    if (single !== undefined) {
      const allowed = kind === 'live' ? [...deps.liveNames, 'ping'] : [...deps.readyNames, 'shutdown'];
      if (!allowed.includes(single)) {
        const why = known.has(single) ? `is not a ${ENDPOINT_NAME[kind]} check` : 'does not exist';
        send(req, res, 404, TEXT_HEADERS, `check ${shown(single)} ${why}\n`);
        return true;
      }
      if (single === 'ping') synthetic.push(ping());
      if (single === 'shutdown') synthetic.push(shutdown());
      names = single === 'ping' || single === 'shutdown' ? [] : [single];
    } else if (kind === 'live') {
      synthetic.push(ping());
      names = deps.liveNames;
    } else if (kind === 'ready') {
      synthetic.push(shutdown());
      names = deps.readyNames;
    } else {
      names = allNames;
    }
    const params = target.query === undefined ? undefined : new URLSearchParams(target.query);

    const cached = names.length === 0 ? EMPTY : runner.cached(names);
    if (cached) {
      respond(req, res, kind, single, params, synthetic.length > 0 ? [...synthetic, ...cached] : cached);
      return true;
    }
    runner
      .outcomes(names)
      .then((outcomes) => respond(req, res, kind, single, params, [...synthetic, ...outcomes]))
      .catch(() => failed(req, res));
    return true;
  };

  return function handle(req, res) {
    try {
      return route(req, res);
    } catch {
      // Only a bug gets here. A throw from a 'request' listener would end the process
      // (and every request in flight with it), so it becomes this request's 500 instead.
      failed(req, res);
      return true;
    }
  };
}
