import pg from 'pg';
import { alertMethods } from '../alert-rows.js';
import type { Store } from '../store.js';
import { createPostgresAlerts } from './alerts.js';
import { createPostgresChecks } from './checks.js';
import { createPostgresCluster } from './cluster.js';
import { createTransaction, maintenanceQuery, type PostgresContext, socketOf } from './context.js';
import { createPostgresMaintenance } from './maintenance.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { createPostgresResults } from './results.js';
import { createPostgresRollups } from './rollups.js';
import { createPostgresSummaries } from './summaries.js';

/** Where applied versions are recorded (also made by tests that build a database at an older version). */
export const SCHEMA_MIGRATIONS_TABLE =
  'CREATE TABLE IF NOT EXISTS lifeline_schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())';

// BIGINT columns hold epoch milliseconds, well inside Number's safe range.
const int8 = (value: string) => Number(value);

export interface PostgresStoreOptions {
  readonly url: string;
  /** Schema to use (created if missing); tests use one of their own. */
  readonly schema?: string;
  readonly max?: number;
  /** Connecting (TCP, TLS, startup, auth) or waiting for a pooled client, at most (ms, default 5000). */
  readonly connectTimeoutMs?: number;
  /**
   * One statement of the write path and of reads, at most (ms, default 15000): server-side as
   * statement_timeout, client-side as query_timeout (plus a second), which also covers a
   * peer that went silent without a reset.
   */
  readonly queryTimeoutMs?: number;
  /** The same bound for compaction, retention and migrations, which may fold a backlog (ms, default 300000). */
  readonly maintenanceTimeoutMs?: number;
  /** TCP keepalive probes start after this much idle time (ms, default 10000). */
  readonly keepAliveDelayMs?: number;
  /** An idle pooled connection is closed after this long (ms, default 30000). */
  readonly idleTimeoutMs?: number;
  /** close() waits this long for connections to end, then destroys their sockets (ms, default 2000). */
  readonly closeTimeoutMs?: number;
  /**
   * A transaction whose client sends nothing for this long is ended by the server (ms, default
   * 10000): idle_in_transaction_session_timeout. Between the statements of a transaction the
   * process only folds a slice or encodes a batch (milliseconds). A process frozen there
   * (SIGSTOP, a VM paused) would otherwise hold the row locks it took (its member row, FOR KEY
   * SHARE) for as long as the bound allows, and a member holding its row cannot be expelled
   * (issue #13: 305 s with the maintenance bound this used to be).
   */
  readonly transactionIdleTimeoutMs?: number;
}

/** The pool's settings: every bound of a connection and of the statements it runs. */
export function poolConfig(options: PostgresStoreOptions): pg.PoolConfig {
  const queryTimeoutMs = options.queryTimeoutMs ?? 15_000;
  return {
    connectionString: options.url,
    max: options.max ?? 4,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    statement_timeout: queryTimeoutMs,
    // Client-side bound: a statement_timeout is no help when the server cannot answer at all.
    query_timeout: queryTimeoutMs + 1_000,
    idle_in_transaction_session_timeout: options.transactionIdleTimeoutMs ?? 10_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: options.keepAliveDelayMs ?? 10_000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    types: {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? int8 : pg.types.getTypeParser(oid, format as 'text'),
    } as pg.CustomTypesConfig,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  };
}

/**
 * PostgreSQL, for a monitor that must survive its pod or share its history.
 * Writes go in one transaction per batch: raw rows and rollup deltas as JSON
 * record sets, the histograms merged element by element in SQL.
 *
 * This opens the pool and composes one module per concern: results.ts (the
 * write path and raw reads), rollups.ts (compaction and rollup reads) and
 * maintenance.ts (retention), alerts.ts (alert state, incidents and the
 * notification outbox) and cluster.ts (membership, leases and fencing), over
 * the check cache in checks.ts and the transaction helper in context.ts.
 */
export function createPostgresStore(options: PostgresStoreOptions): Store {
  const maintenanceTimeoutMs = options.maintenanceTimeoutMs ?? 300_000;
  const pool = new pg.Pool(poolConfig(options));
  pool.on('error', () => {
    // An idle client lost its connection; the next query gets a new one.
  });
  // Every connection of the pool, so that close() can destroy what does not end in time.
  const clients = new Set<pg.PoolClient>();
  pool.on('connect', (client) => clients.add(client));
  pool.on('remove', (client) => clients.delete(client));

  let ready = false;
  const ctx: PostgresContext = {
    pool,
    checks: createPostgresChecks(),
    fence: { epoch: undefined },
    maintenanceTimeoutMs,
    ensure() {
      if (!ready) throw new Error('store used before migrate()');
    },
    transaction: createTransaction(pool),
    long: maintenanceQuery(maintenanceTimeoutMs),
  };
  const { transaction, long } = ctx;
  const results = createPostgresResults(ctx);
  const rollups = createPostgresRollups(ctx);
  const summaries = createPostgresSummaries(ctx);
  const maintenance = createPostgresMaintenance(ctx);
  const alerts = createPostgresAlerts(ctx);
  const cluster = createPostgresCluster(ctx);

  return {
    kind: 'postgres',
    cluster,
    async ping() {
      await pool.query('SELECT 1');
    },
    async migrate() {
      if (options.schema) {
        await pool.query(long(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(options.schema)}`));
      }
      await transaction(async (client) => {
        // Two monitors starting at once must not both migrate.
        await client.query(long("SELECT pg_advisory_xact_lock(hashtext('lifeline-migrate'))"));
        await client.query(long(SCHEMA_MIGRATIONS_TABLE));
        const { rows } = await client.query<{ v: number | null }>(
          'SELECT max(version) AS v FROM lifeline_schema_migrations',
        );
        const current = rows[0]?.v ?? 0;
        if (current > POSTGRES_MIGRATIONS.length) {
          throw new Error(
            `the database has lifeline schema version ${current}, newer than this lifeline (${POSTGRES_MIGRATIONS.length}); upgrade lifeline`,
          );
        }
        for (let version = current; version < POSTGRES_MIGRATIONS.length; version++) {
          await client.query(long(POSTGRES_MIGRATIONS[version] as string));
          await client.query('INSERT INTO lifeline_schema_migrations (version) VALUES ($1)', [version + 1]);
        }
      }, maintenanceTimeoutMs);
      await ctx.checks.load(pool);
      ready = true;
      return POSTGRES_MIGRATIONS.length;
    },
    write: results.write,
    results: results.results,
    latest: results.latest,
    rollups: rollups.rollups,
    totals: rollups.totals,
    summaries: summaries.summaries,
    compact: rollups.compact,
    lastScheduled: results.lastScheduled,
    prune: maintenance.prune,
    async close() {
      let bound: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        pool.end().then(
          () => true,
          () => true,
        ),
        new Promise<boolean>((resolve) => {
          bound = setTimeout(() => resolve(false), options.closeTimeoutMs ?? 2_000);
        }),
      ]);
      clearTimeout(bound);
      // A connection to a silent peer never finishes its goodbye: its socket is destroyed, after
      // end() has marked the client as ending (else pg reports an unexpected disconnection).
      if (!ended) {
        for (const client of clients) {
          client.on('error', () => {});
          client.end().catch(() => {});
          socketOf(client)?.destroy();
        }
      }
    },
    resultsByOutcome: results.resultsByOutcome,
    failureStates: results.failureStates,
    ...alertMethods(alerts),
  };
}
