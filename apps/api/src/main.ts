import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CheckInput,
  createHealth,
  eventLoopDelayCheck,
  postgresCheck,
  redisCheck,
  type ShutdownHook,
} from '@lifeline/health';
import pg from 'pg';
import { pino } from 'pino';
import { createClient } from 'redis';
import { createApp } from './app.js';
import { type ApiConfig, loadConfig } from './config.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const logger = pino({
  base: { service: 'api' },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
});

let config: ApiConfig;
try {
  config = loadConfig(process.env, pkg.version);
} catch (error) {
  logger.fatal((error as Error).message);
  process.exit(2);
}
logger.level = config.logLevel;

// Dependencies are optional: with DATABASE_URL / REDIS_URL set, each gets a
// readiness check and is closed on shutdown.
const checks: Record<string, CheckInput> = { eventloop: eventLoopDelayCheck() };
const onShutdown: ShutdownHook[] = [];
if (config.databaseUrl) {
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 5, connectionTimeoutMillis: 2_000 });
  pool.on('error', (error) => logger.warn({ err: error }, 'postgres pool error'));
  checks.postgres = postgresCheck(pool);
  onShutdown.push(() => pool.end());
}
if (config.redisUrl) {
  const redis = createClient({ url: config.redisUrl });
  redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis client error'));
  // A Redis that is down at start is a failing check, not a crash: the client keeps reconnecting.
  redis.connect().catch((error: Error) => logger.warn({ err: error }, 'redis not reachable yet'));
  checks.redis = redisCheck(redis);
  // close() waits for pending replies; a client still trying to reconnect has none worth waiting for.
  onShutdown.push(() => (redis.isReady ? redis.close() : redis.destroy()));
}

const health = createHealth({
  serviceId: config.serviceId,
  version: config.version,
  ...(config.releaseId ? { releaseId: config.releaseId } : {}),
  description: 'the Lifeline example api',
  ...(config.healthDetailsToken ? { detailsToken: config.healthDetailsToken } : {}),
  checks,
});

const app = createApp({ serviceId: config.serviceId, version: config.version, logger, health });

const onListening = (error?: Error) => {
  if (error) {
    logger.fatal({ err: error }, `cannot listen on ${config.host ?? '*'}:${config.port}`);
    process.exit(1);
  }
  const address = server.address() as AddressInfo;
  logger.info(
    { port: address.port, host: address.address, checks: Object.keys(checks) },
    `api listening on ${address.address}:${address.port}`,
  );
};
// Without HOST, Node listens on :: and falls back to 0.0.0.0 where IPv6 is off.
const server = createServer(app);
server.once('error', onListening);
if (config.host) server.listen(config.port, config.host, () => onListening());
else server.listen(config.port, () => onListening());

health.attach(server, {
  shutdownDelay: config.shutdownDelayMs,
  drainTimeout: config.drainTimeoutMs,
  onShutdown,
  logger: {
    info: (message) => logger.info(message),
    warn: (message) => logger.warn(message),
    error: (message) => logger.error(message),
  },
  exit: (code) => {
    logger.info({ code }, 'api stopped');
    logger.flush();
    process.exit(code);
  },
});
