import type { CheckDefinition } from '../health.js';
import type { DependencyCheckOptions } from './postgres.js';

/** node-redis (v4+) and ioredis clients both have `ping()` resolving to "PONG". */
export interface Pingable {
  ping(): Promise<unknown>;
}

/**
 * PING through a node-redis or ioredis client. Expects "PONG"; a client that
 * is disconnected rejects (node-redis) or queues until the timeout (ioredis
 * with an offline queue), and both become `fail`.
 *
 * @example createHealth({ checks: { redis: redisCheck(client) } })
 */
export function redisCheck(client: Pingable, options: DependencyCheckOptions = {}): CheckDefinition {
  if (!client || typeof client.ping !== 'function')
    throw new TypeError('redisCheck: expected a node-redis or ioredis client');
  return {
    ...options,
    componentType: 'datastore',
    run: async () => {
      const reply = await client.ping();
      if (reply !== 'PONG') return { status: 'fail', output: `PING answered ${JSON.stringify(reply)}, not "PONG"` };
      return undefined;
    },
  };
}
