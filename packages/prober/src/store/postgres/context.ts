import type pg from 'pg';
import type { PostgresChecks } from './checks.js';

/**
 * Alert fencing (issue #13), set by ClusterStore.useFence and read by the
 * alert writes: while `epoch` is set, recordAlerts and claimNotifications act
 * only for a member whose lease is live by the database clock.
 */
export interface FenceState {
  /** The lease epoch of this process (undefined while it holds none); unset: no fencing (a single node). */
  epoch: (() => number | undefined) | undefined;
}

/** The database clock, epoch ms, for SQL: the time of the call, not of the transaction's start. */
export const DB_NOW_MS = 'floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint';

/** What the PostgreSQL store's concern modules share: the pool, the check cache and the statement bounds. */
export interface PostgresContext {
  readonly pool: pg.Pool;
  readonly checks: PostgresChecks;
  readonly fence: FenceState;
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

/** Periodic work that one connection at a time does, whichever monitor or CronJob calls it. */
export type SingletonTask = 'compact' | 'prune';

/**
 * The advisory lock key of a singleton task, as SQL. It names the schema:
 * monitors of other schemas (other deployments, or test files running side by
 * side) share the database's advisory locks but not its rows, and must not
 * make each other skip their work.
 */
export const singletonKey = (task: SingletonTask) => `hashtext('lifeline-${task}:' || current_schema())`;

/**
 * Takes the task's lock for the rest of the transaction, without waiting:
 * false when another connection holds it (it is doing the work; issue #13).
 */
export async function trySingleton(ctx: PostgresContext, client: pg.PoolClient, task: SingletonTask): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>(
    ctx.long(`SELECT pg_try_advisory_xact_lock(${singletonKey(task)}) AS ok`),
  );
  return rows[0]?.ok === true;
}
