import { connect } from 'node:net';
import type { CheckDefinition } from '../health.js';
import type { DependencyCheckOptions } from './postgres.js';

/**
 * Opens a TCP connection and closes it: for dependencies without a client
 * here (a broker, a legacy service).
 *
 * @example tcpCheck('rabbitmq', 5672, { critical: false })
 */
export function tcpCheck(host: string, port: number, options: DependencyCheckOptions = {}): CheckDefinition {
  if (typeof host !== 'string' || host === '') throw new TypeError('tcpCheck: host must be a non-empty string');
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new TypeError(`tcpCheck: port must be 1-65535, got ${port}`);
  return {
    ...options,
    componentType: 'component',
    componentId: options.componentId ?? `${host}:${port}`,
    run: (signal) =>
      new Promise<void>((resolve, reject) => {
        const socket = connect({ host, port });
        const onAbort = () => socket.destroy(new Error(`no connection to ${host}:${port} in time`));
        signal.addEventListener('abort', onAbort, { once: true });
        socket.once('connect', () => {
          signal.removeEventListener('abort', onAbort);
          socket.end();
          resolve();
        });
        socket.once('error', (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        });
      }),
  };
}
