import type { CheckDefinition } from '../health.js';

/** Anything with pg's `query(text)`: a `pg.Pool`, a `pg.Client`, or a wrapper. */
export interface Queryable {
  query(text: string): Promise<unknown>;
}

export interface DependencyCheckOptions {
  readonly critical?: boolean;
  readonly timeout?: number;
  readonly componentId?: string;
}

/**
 * `SELECT 1` through a pg Pool: proves a connection can be had and the server
 * answers. With a Pool, a check waits for a free client like any query does,
 * so an exhausted pool shows up as a slow or timed-out check.
 *
 * @example createHealth({ checks: { postgres: postgresCheck(pool) } })
 */
export function postgresCheck(pool: Queryable, options: DependencyCheckOptions = {}): CheckDefinition {
  if (!pool || typeof pool.query !== 'function') throw new TypeError('postgresCheck: expected a pg Pool or Client');
  return {
    ...options,
    componentType: 'datastore',
    run: async () => {
      await pool.query('SELECT 1');
    },
  };
}
