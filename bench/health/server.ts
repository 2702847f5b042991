// One benchmark target per process, chosen by argv[2]. Prints {"port":N} when
// listening; answers an IPC "report" message with its dependency call count.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTerminus } from '@godaddy/terminus';
import { createHealth, eventLoopDelayCheck, redisCheck } from '@lifeline/health';
import { pino } from 'pino';
import { createClient } from 'redis';
import { createApp } from '../../apps/api/src/app.js';

const variant = process.argv[2];
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

// The dependency every variant's readiness is about: a real Redis, counted.
const redis = createClient({ url: REDIS_URL });
await redis.connect();
let dependencyCalls = 0;
const counted = {
  ping: async () => {
    dependencyCalls += 1;
    return redis.ping();
  },
};

// The exact bytes @lifeline/health sends for GET /livez and a passing /readyz.
const OK_HEADERS = {
  'content-type': 'text/plain; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-length': '2',
};

const notFound = (res: http.ServerResponse) => res.writeHead(404).end();
let port: number;

if (variant === 'bare') {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, OK_HEADERS);
    res.end('ok');
  });
  port = await listen(server);
} else if (variant === 'lifeline') {
  const health = createHealth({ checks: { redis: redisCheck(counted) } });
  const server = http.createServer((req, res) => {
    if (!health.handle(req, res)) notFound(res);
  });
  health.start();
  port = await listen(server);
} else if (variant === 'api') {
  // The real apps/api (Express 5 + pino-http), wired as its main.ts does with REDIS_URL set. Its
  // JSON access log goes to /dev/null: serialized and written as in a pod, not read by this bench.
  const health = createHealth({ checks: { eventloop: eventLoopDelayCheck(), redis: redisCheck(counted) } });
  const logger = pino(
    { base: { service: 'api' }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: '/dev/null', sync: true }),
  );
  const server = http.createServer(createApp({ serviceId: 'api', version: '0.1.0', logger, health }));
  health.start();
  port = await listen(server);
} else if (variant === 'terminus') {
  const server = http.createServer((_req, res) => notFound(res));
  createTerminus(server, {
    healthChecks: {
      '/readyz': async () => {
        await counted.ping();
      },
      '/livez': async () => undefined,
    },
  });
  port = await listen(server);
} else if (variant === 'lightship') {
  // Lightship serves probes on a port of its own and runs no checks: readiness
  // is whatever the app last signalled. To reflect Redis at all, the app has to
  // poll it itself; this does so every 5 s, like lifeline's default TTL.
  // lightship 7 is CommonJS: depending on the loader its export sits on the namespace or on default.
  const mod = (await import('lightship')) as unknown as Partial<typeof import('lightship')> & {
    default?: typeof import('lightship');
  };
  const createLightship = (mod.createLightship ??
    mod.default?.createLightship) as typeof import('lightship').createLightship;
  const lightship = await createLightship({ detectKubernetes: false, port: 0, shutdownDelay: 0 });
  const poll = async () => {
    try {
      await counted.ping();
      lightship.signalReady();
    } catch {
      lightship.signalNotReady();
    }
  };
  await poll();
  setInterval(poll, 5_000).unref();
  port = (lightship.server.address() as AddressInfo).port;
} else {
  throw new Error(`unknown variant ${variant}`);
}

process.on('message', (message) => {
  if (message === 'report') process.send?.({ dependencyCalls });
});
process.stdout.write(`${JSON.stringify({ port })}\n`);

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}
