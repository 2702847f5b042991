import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createApp } from './app.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

function port(text: string | undefined): number {
  if (text === undefined || text === '') return 3000;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new Error(`PORT must be an integer from 0 to 65535, got "${text}"`);
  }
  return value;
}

const logger = pino({
  base: { service: 'api' },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
});

let listenPort: number;
try {
  listenPort = port(process.env.PORT);
} catch (error) {
  logger.fatal((error as Error).message);
  process.exit(2);
}
const host = process.env.HOST || undefined;

const app = createApp({
  serviceId: process.env.SERVICE_ID || 'api',
  version: process.env.APP_VERSION || pkg.version,
  ...(process.env.RELEASE_ID ? { releaseId: process.env.RELEASE_ID } : {}),
  logger,
});

const onListening = (error?: Error) => {
  if (error) {
    logger.fatal({ err: error }, `cannot listen on ${host ?? '*'}:${listenPort}`);
    process.exit(1);
  }
  const address = server.address() as AddressInfo;
  logger.info({ port: address.port, host: address.address }, `api listening on ${address.address}:${address.port}`);
};
// Without HOST, Node listens on :: and falls back to 0.0.0.0 where IPv6 is off.
const server = host ? app.listen(listenPort, host, onListening) : app.listen(listenPort, onListening);

let stopping = false;
function shutdown(signal: NodeJS.Signals) {
  if (stopping) process.exit(130);
  stopping = true;
  logger.info({ signal }, `received ${signal}, closing`);
  server.close((error) => {
    if (error) logger.error({ err: error }, 'close failed');
    logger.info('api stopped');
    process.exit(error ? 1 : 0);
  });
  // Keep-alive sockets with no request in flight would hold close() open until they time out.
  server.closeIdleConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
