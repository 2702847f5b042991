import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

export interface AppDeps {
  readonly serviceId: string;
  readonly version: string;
  readonly releaseId?: string;
  readonly logger: Logger;
  /** Injected so tests can pin the reported time. */
  readonly now?: () => Date;
}

export const HEALTH_CONTENT_TYPE = 'application/health+json';

/**
 * The seed's service: `GET /healthcheck` answers with an IETF health+json
 * report. Only `main.ts` calls `listen()`, so tests can drive the app in-process.
 */
export function createApp(deps: AppDeps): Express {
  const now = deps.now ?? (() => new Date());
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

  app.get('/healthcheck', (_req, res) => {
    res
      .status(200)
      .set('Content-Type', HEALTH_CONTENT_TYPE)
      .set('Cache-Control', 'no-store')
      .send(
        JSON.stringify({
          status: 'pass',
          version: deps.version,
          ...(deps.releaseId ? { releaseId: deps.releaseId } : {}),
          serviceId: deps.serviceId,
          description: 'the Lifeline example api',
          time: now().toISOString(),
        }),
      );
  });

  app.use((req, res) => {
    res.status(404).json({ error: 'not_found', message: `no route for ${req.method} ${req.path}` });
  });
  return app;
}
