import type { Health } from '@lifeline/health';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

export interface AppDeps {
  readonly serviceId: string;
  readonly version: string;
  readonly logger: Logger;
  /** Answers /healthcheck, /livez and /readyz. */
  readonly health: Health;
}

/**
 * The seed's service, built on @lifeline/health. Only `main.ts` calls
 * `listen()`, so tests can drive the app in-process.
 */
export function createApp(deps: AppDeps): Express {
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
  app.use(deps.health.express());

  app.get('/', (_req, res) => {
    res.json({ service: deps.serviceId, version: deps.version });
  });

  app.use((req, res) => {
    res.status(404).json({ error: 'not_found', message: `no route for ${req.method} ${req.path}` });
  });
  return app;
}
