import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Health } from '@lifeline/health';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { HttpError, malformedTarget, rejectMalformed, sendError } from './errors.js';

export interface AppDeps {
  readonly serviceId: string;
  readonly version: string;
  readonly logger: Logger;
  /** Answers /healthcheck, /livez and /readyz. */
  readonly health: Health;
}

/**
 * The kubelet's probes, exactly as deploy/kubernetes/base/api-deployment.yaml sends them.
 * They are answered before Express and its access log (issue 14, goal 4): every pod is probed
 * every few seconds, and neither the router's cost nor a log line per probe buys anything.
 * `?verbose`, `/readyz/<check>` and `/healthcheck` are for people and monitors: they take
 * the ordinary way, access log included.
 */
const PROBE_PATHS: ReadonlySet<string> = new Set(['/livez', '/readyz']);

/**
 * The seed's service, built on @lifeline/health, as a node:http request
 * listener: `http.createServer(createApp(deps))`. Only `main.ts` calls
 * `listen()`, so tests can drive the app in-process.
 *
 * Probes (`GET /livez`, `GET /readyz`) are logged at debug only (`LOG_LEVEL=debug`).
 * Every failure is JSON without a stack: 400 for a malformed path, query or
 * request line, 404 for an unknown route, a generic 500 (logged with its stack)
 * for anything else.
 */
export function createApp(deps: AppDeps): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.use(
    pinoHttp({
      logger: deps.logger,
      // One short line per request: what was asked, what was answered, how long it took.
      serializers: {
        req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url,
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(rejectMalformed);
  app.use(deps.health.express());

  app.get('/', (_req, res) => {
    res.json({ service: deps.serviceId, version: deps.version });
  });

  app.use((req, _res, next) => {
    next(new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`));
  });
  // Express knows an error handler by its four parameters.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    sendError(error, req, res, deps.logger);
  });

  return (req, res) => {
    if (PROBE_PATHS.has(req.url as string)) {
      const debug = deps.logger.isLevelEnabled('debug');
      const started = debug ? performance.now() : 0;
      if (deps.health.handle(req, res)) {
        if (debug) logProbe(deps.logger, req, res, started);
        return;
      }
    }
    // Express's router passes a request whose target it cannot parse (`GET http://[/x`)
    // past every middleware, error handlers included, straight to this callback; without
    // it, Express's finalhandler would answer an HTML page.
    app(req as Request, res as Response, (error?: unknown) => {
      if (error !== undefined && error !== null) {
        sendError(error, req, res, deps.logger);
        return;
      }
      const malformed = malformedTarget(req.url ?? '');
      const problem = malformed
        ? new HttpError(400, 'bad_request', malformed)
        : new HttpError(404, 'not_found', `no route for ${req.method} ${req.url}`);
      // pino-http never saw this request: log it here, in the same shape.
      deps.logger.info(
        { req: { method: req.method, url: req.url }, res: { statusCode: problem.status } },
        problem.message,
      );
      sendError(problem, req, res, deps.logger);
    });
  };
}

/** The access-log line of a probe, at debug: the same shape as pino-http's, without the request id. */
function logProbe(logger: Logger, req: IncomingMessage, res: ServerResponse, started: number): void {
  const line = () =>
    logger.debug(
      {
        req: { method: req.method, url: req.url, remoteAddress: req.socket.remoteAddress },
        res: { statusCode: res.statusCode },
        responseTime: Math.round(performance.now() - started),
      },
      'probe answered',
    );
  // The fast path may have finished the answer already; a check run on a cold cache finishes it later.
  if (res.writableFinished) line();
  else res.once('finish', line);
}
