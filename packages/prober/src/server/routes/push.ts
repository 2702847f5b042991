import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResolvedCheck } from '../../config/resolved.js';
import type { PingKind, PingOutcome } from '../../push/types.js';
import { CREDENTIALS, digest, matches } from '../auth.js';
import type { RouteContext } from '../context.js';
import { ApiError, sendError, sendJson } from '../errors.js';
import {
  BODY_TIMEOUT_MS,
  type BodyRead,
  PING_KEEP_BYTES,
  PING_MAX_BYTES,
  pingMessage,
  REPORT_MAX_BYTES,
  readBody,
} from '../push-body.js';
import { FORWARDED_HEADER } from '../push-forward.js';
import { createPushLimiter } from '../push-limiter.js';
import { parseReport } from '../push-report.js';
import { quote, type Target } from '../request.js';

/** The owner's answer to a ping passed on to it. */
interface Passed {
  readonly passed: true;
  readonly status: number;
  readonly body: unknown;
}
const isPassed = (answer: unknown): answer is Passed => (answer as Passed | undefined)?.passed === true;

const CHALLENGE = 'Bearer realm="lifeline push"';
const PING_METHODS = 'GET, HEAD, POST';
const ACTIONS: Readonly<Record<string, PingKind | 'report'>> = { start: 'start', fail: 'fail', report: 'report' };

/** A ping's answer: 200 either way, since the ping was received; `accepted: false` says it counted for no run. */
export function outcomeJson(check: string, outcome: PingOutcome) {
  return outcome.accepted
    ? { check, accepted: true, scheduledAt: new Date(outcome.scheduledAt).toISOString(), state: outcome.state }
    : { check, accepted: false, reason: outcome.reason };
}

/** The URL a job pings: absolute when the monitor knows its base (`externalUrl`), else the path. */
export function pushUrl(name: string, externalUrl: string | undefined): string {
  return `${externalUrl?.replace(/\/+$/, '') ?? ''}/api/v1/push/${encodeURIComponent(name)}`;
}

/**
 * The push routes (issue #11): POST|GET|HEAD /api/v1/push/{check}[/start|/fail]
 * and POST /api/v1/push/{check}/report. They do not take `server.auth`: each
 * push check has its own token (`Authorization: Bearer`), so a CronJob holds
 * the secret of its one check and nothing else.
 *
 * Order: the route and method; the check (404 unknown, 400 probed); the
 * token (401); the rate limit (429); then the body (413, 408, 415, 400).
 * An unknown name is a 404 before any token is asked for: this tells a
 * caller which names exist. Check names are not secrets (they are labels in
 * metrics, alerts and the dashboard, and easy to guess), the token is; and a
 * job with a typo in its URL is better told "no check named" than a
 * misleading "bad token". Nothing is recorded and no state is made before
 * the token matched, so an unknown name costs no memory.
 *
 * Bounds: the body is read only after the token and the rate limit passed,
 * at most PING_MAX_BYTES (ping) or REPORT_MAX_BYTES (report), within
 * BODY_TIMEOUT_MS; any answer given before a body was read in full closes
 * the connection, so the rest is never read.
 */
export function createPushRoutes(ctx: RouteContext) {
  const limiter = ctx.deps.pushLimiter ?? createPushLimiter(ctx.now);
  const timeoutMs = ctx.deps.pushBodyTimeoutMs ?? BODY_TIMEOUT_MS;
  const forwarder = ctx.deps.pushForwarder;

  function verify(req: IncomingMessage, check: ResolvedCheck, token: string): void {
    const header = req.headers.authorization?.trim() ?? '';
    const m = CREDENTIALS.exec(header);
    if (header === '' || m?.[1]?.toLowerCase() !== 'bearer') {
      throw new ApiError(
        'unauthorized',
        `check ${quote(check.name)} needs its push token: send Authorization: Bearer <token>`,
        undefined,
        { 'www-authenticate': CHALLENGE },
      );
    }
    if (!matches(m[2] as string, digest(token))) {
      throw new ApiError('unauthorized', `the token is not valid for check ${quote(check.name)}`, undefined, {
        'www-authenticate': `${CHALLENGE}, error="invalid_token"`,
      });
    }
  }

  /**
   * The running config's checks by name, and its push checks' names: built once per
   * config (deps.checks() returns the same array until a reload), so a ping costs no
   * scan of every configured check.
   */
  let indexed:
    | { checks: readonly ResolvedCheck[]; byName: Map<string, ResolvedCheck>; pushed: Set<string> }
    | undefined;
  function index() {
    const checks = ctx.deps.checks();
    if (indexed?.checks !== checks) {
      indexed = {
        checks,
        byName: new Map(checks.map((c) => [c.name, c])),
        pushed: new Set(checks.filter((c) => c.kind === 'push').map((c) => c.name)),
      };
    }
    return indexed;
  }

  function pushCheck(name: string): ResolvedCheck & { push: NonNullable<ResolvedCheck['push']> } {
    const check = index().byName.get(name);
    if (!check) throw new ApiError('not_found', `no check named ${quote(name)}`);
    if (check.kind !== 'push' || !check.push)
      throw new ApiError('bad_request', `check ${quote(name)} is probed by the monitor, not pinged`);
    return check as ResolvedCheck & { push: NonNullable<ResolvedCheck['push']> };
  }

  function limit(name: string): void {
    const taken = limiter.take(name, index().pushed);
    if (!taken.ok) {
      throw new ApiError(
        'too_many_requests',
        `check ${quote(name)} was pinged too often; retry in ${taken.retryAfterSeconds} s`,
        { retryAfterSeconds: taken.retryAfterSeconds },
        { 'retry-after': String(taken.retryAfterSeconds) },
      );
    }
  }

  function body(read: BodyRead, max: number): Buffer {
    if (read.kind === 'too_large')
      throw new ApiError('payload_too_large', `the body is larger than ${max} bytes; the connection is closed`);
    if (read.kind === 'timeout')
      throw new ApiError('request_timeout', `the body did not arrive within ${timeoutMs} ms`);
    if (read.kind === 'aborted') throw new ApiError('bad_request', 'the client went away');
    return read.bytes;
  }

  /**
   * In a cluster (issue #13) only a push check's owner holds its expected run: a ping that
   * reaches another member goes on to the owner once (a forwarded one is always taken here).
   * Undefined when this member takes it; else the owner's answer, status included.
   */
  async function passOn(req: IncomingMessage, target: Target, name: string, max: number): Promise<Passed | undefined> {
    if (!ctx.deps.pushRoute || !forwarder || req.headers[FORWARDED_HEADER] !== undefined) return undefined;
    const route = ctx.deps.pushRoute(name);
    if (route.local) return undefined;
    if ('error' in route)
      throw new ApiError(
        'owner_unavailable',
        `check ${quote(name)} cannot take pings right now: ${route.error}; retry`,
      );
    const method = req.method ?? 'GET';
    const bytes = method === 'POST' ? body(await readBody(req, max, max, timeoutMs), max) : Buffer.alloc(0);
    const outcome = await forwarder.forward(route.url, {
      method,
      path: target.originForm,
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      body: bytes,
    });
    if (!outcome.ok) {
      throw new ApiError(
        'owner_unavailable',
        `check ${quote(name)} is held by cluster member ${route.member}, which did not take the ping (${outcome.message}); retry`,
      );
    }
    return { passed: true, status: outcome.status, body: outcome.body };
  }

  async function serve(req: IncomingMessage, target: Target): Promise<unknown> {
    const sink = ctx.deps.push;
    const [, , , name, action, ...rest] = target.segments;
    const kind = action === undefined ? 'success' : ACTIONS[action];
    if (!sink || name === undefined || kind === undefined || rest.length > 0)
      throw new ApiError(
        'not_found',
        sink ? `no route for ${quote(target.path)}` : `no route for ${quote(target.path)}: this monitor takes no pings`,
      );
    target.query.allow([]);
    const method = req.method ?? '';
    if (kind === 'report' ? method !== 'POST' : !PING_METHODS.split(', ').includes(method)) {
      const allow = kind === 'report' ? 'POST' : PING_METHODS;
      throw new ApiError('method_not_allowed', `${method} is not allowed here; use ${allow}`, undefined, { allow });
    }
    const check = pushCheck(name);
    verify(req, check, check.push.token);
    limit(check.name);
    const passed = await passOn(req, target, check.name, kind === 'report' ? REPORT_MAX_BYTES : PING_MAX_BYTES);
    if (passed) return passed;
    if (kind === 'report') {
      const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/json')
        throw new ApiError('unsupported_media_type', 'a report is JSON: send Content-Type: application/json');
      const results = parseReport(
        body(await readBody(req, REPORT_MAX_BYTES, REPORT_MAX_BYTES, timeoutMs), REPORT_MAX_BYTES),
      );
      const outcome = sink.report(check.name, results, ctx.now());
      return { ...outcomeJson(check.name, outcome), stored: results.length };
    }
    let message = '';
    if (method === 'POST') {
      const read = await readBody(req, PING_KEEP_BYTES, PING_MAX_BYTES, timeoutMs);
      const bytes = body(read, PING_MAX_BYTES);
      message = pingMessage(bytes, read.kind === 'ok' && read.truncated);
    }
    return outcomeJson(check.name, sink.ping(check.name, { kind, time: ctx.now(), body: message }));
  }

  return {
    /** Answers a request under /api/v1/push; never throws. */
    async handle(req: IncomingMessage, res: ServerResponse, target: Target): Promise<void> {
      // Set before any answer: one given while a body is still unread ends the connection
      // (Connection: close, then destroyed once the answer is flushed), so Node never reads the rest.
      const closeIfUnread = () => {
        if (req.complete || res.headersSent || res.destroyed) return;
        res.setHeader('connection', 'close');
        res.once('finish', () => req.socket?.destroy());
      };
      let answer: unknown;
      try {
        answer = await serve(req, target);
      } catch (error) {
        closeIfUnread();
        sendError(res, error);
        return;
      }
      closeIfUnread();
      if (isPassed(answer)) sendJson(res, answer.status, answer.body);
      else sendJson(res, 200, answer);
    },
  };
}
