import type pg from 'pg';
import type { PostgresChecks } from './checks.js';

/** What the PostgreSQL store's concern modules share: the pool, the check cache and the statement bounds. */
export interface PostgresContext {
  readonly pool: pg.Pool;
  readonly checks: PostgresChecks;
  /** The bound for compaction, retention and migrations (ms). */
  readonly maintenanceTimeoutMs: number;
  /** Throws when the store is used before migrate(). */
  ensure(): void;
  /** Runs fn in a transaction on a client of its own (see createTransaction). */
  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>, timeoutMs?: number): Promise<T>;
  /** A maintenance statement: longer bounds on both sides (compaction may fold a backlog). */
  long(text: string, values?: unknown[]): pg.QueryConfig;
}

/** The socket under a pg client: pg keeps it public as `connection.stream`, though not in its types. */
export const socketOf = (client: pg.PoolClient | pg.Client) =>
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;

/**
 * Runs fn in a transaction on a client of its own. On any error the client is
 * destroyed, not returned to the pool (a connection whose query timed out may
 * still be stuck in it), and not rolled back first: the server rolls back an
 * aborted connection's transaction, and a ROLLBACK to a silent peer would wait
 * for a timeout of its own.
 */
export function createTransaction(pool: pg.Pool): PostgresContext['transaction'] {
  return async function transaction<T>(fn: (client: pg.PoolClient) => Promise<T>, timeoutMs?: number): Promise<T> {
    const client = await pool.connect();
    // A connection lost while the client is checked out is reported by its pending query (or the next
    // one); without a listener, pg's 'error' event would be an uncaught exception.
    const ignore = () => {};
    client.on('error', ignore);
    try {
      await client.query('BEGIN');
      if (timeoutMs !== undefined) await client.query(`SET LOCAL statement_timeout = ${Math.round(timeoutMs)}`);
      const value = await fn(client);
      await client.query('COMMIT');
      client.off('error', ignore);
      client.release();
      return value;
    } catch (error) {
      client.off('error', ignore);
      client.release(error instanceof Error ? error : new Error(String(error)));
      socketOf(client)?.destroy();
      throw error;
    }
  };
}

/** Builds `long` for a maintenance bound of maintenanceTimeoutMs (client-side: one second more). */
export function maintenanceQuery(maintenanceTimeoutMs: number): PostgresContext['long'] {
  return (text, values) =>
    ({
      text,
      ...(values ? { values } : {}),
      query_timeout: maintenanceTimeoutMs + 1_000,
    }) as pg.QueryConfig;
}
