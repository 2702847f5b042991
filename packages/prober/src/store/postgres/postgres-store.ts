import pg from 'pg';
import type { RetentionConfig } from '../../config/resolved.js';
import type { CheckResult } from '../../domain/result.js';
import { bucketStart, foldResults, RESOLUTIONS, type Resolution, type RollupDelta } from '../../domain/rollup.js';
import {
  cutoffs,
  decode,
  encode,
  type FailureState,
  type PruneCounts,
  type RawRow,
  type ResultQuery,
  type RollupRow,
  rawRollupInput,
  rollupInput,
  type Store,
} from '../store.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';

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
}

/** The socket under a pg client: pg keeps it public as `connection.stream`, though not in its types. */
const socketOf = (client: pg.PoolClient | pg.Client) =>
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;

/**
 * PostgreSQL, for a monitor that must survive its pod or share its history.
 * Writes go in one transaction per batch: raw rows and rollup deltas as JSON
 * record sets, the histograms merged element by element in SQL.
 */
export function createPostgresStore(options: PostgresStoreOptions): Store {
  const queryTimeoutMs = options.queryTimeoutMs ?? 15_000;
  const maintenanceTimeoutMs = options.maintenanceTimeoutMs ?? 300_000;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 4,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    statement_timeout: queryTimeoutMs,
    // Client-side bound: a statement_timeout is no help when the server cannot answer at all.
    query_timeout: queryTimeoutMs + 1_000,
    idle_in_transaction_session_timeout: maintenanceTimeoutMs + 5_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: options.keepAliveDelayMs ?? 10_000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    types: {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? int8 : pg.types.getTypeParser(oid, format as 'text'),
    } as pg.CustomTypesConfig,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  pool.on('error', () => {
    // An idle client lost its connection; the next query gets a new one.
  });
  // Every connection of the pool, so that close() can destroy what does not end in time.
  const clients = new Set<pg.PoolClient>();
  pool.on('connect', (client) => clients.add(client));
  pool.on('remove', (client) => clients.delete(client));

  /**
   * Runs fn in a transaction on a client of its own. On any error the client is
   * destroyed, not returned to the pool (a connection whose query timed out may
   * still be stuck in it), and not rolled back first: the server rolls back an
   * aborted connection's transaction, and a ROLLBACK to a silent peer would wait
   * for a timeout of its own.
   */
  async function transaction<T>(fn: (client: pg.PoolClient) => Promise<T>, timeoutMs?: number): Promise<T> {
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
  }
  /** A maintenance statement: longer bounds on both sides (compaction may fold a backlog). */
  const long = (text: string, values?: unknown[]): pg.QueryConfig =>
    ({
      text,
      ...(values ? { values } : {}),
      query_timeout: maintenanceTimeoutMs + 1_000,
    }) as pg.QueryConfig;
  const ids = new Map<string, number>();
  const names = new Map<number, { name: string; url: string }>();
  let ready = false;

  async function idsFor(client: pg.PoolClient, results: readonly CheckResult[]): Promise<void> {
    const wanted = new Map<string, string>();
    for (const r of results) {
      const known = ids.get(r.check);
      if (known === undefined || names.get(known)?.url !== r.url) wanted.set(r.check, r.url);
    }
    if (wanted.size === 0) return;
    const { rows } = await client.query<{ id: number; name: string; url: string }>(
      `INSERT INTO lifeline_checks (name, url) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT (name) DO UPDATE SET url = excluded.url RETURNING id, name, url`,
      [[...wanted.keys()], [...wanted.values()]],
    );
    for (const row of rows) {
      ids.set(row.name, row.id);
      names.set(row.id, { name: row.name, url: row.url });
    }
  }

  /** One page of a check's raw results, newest first; `outcome` is a fixed SQL filter, never user input. */
  async function page(check: string, query: ResultQuery, outcome: '' | 'AND ok <> 0' | 'AND ok = 0') {
    const id = ids.get(check);
    if (id === undefined) return [];
    const { rows } = await pool.query<RawRow>(
      `SELECT * FROM lifeline_results WHERE check_id = $1 ${outcome} AND t >= $2 AND t < $3 ORDER BY t DESC LIMIT $4`,
      [id, query.since ?? 0, query.until ?? Number.MAX_SAFE_INTEGER, query.limit],
    );
    const url = names.get(id)?.url ?? '';
    return rows.map((row) => decode(check, url, row));
  }

  const ensure = () => {
    if (!ready) throw new Error('store used before migrate()');
  };

  /** Adds deltas to stored rollup rows in one statement; histograms are added element by element. */
  async function upsertRollups(
    client: pg.PoolClient,
    deltas: Iterable<RollupDelta>,
    maintenance = false,
  ): Promise<void> {
    const rows = [...deltas].map(({ check, resolution, bucket, rollup }) => ({
      check_id: ids.get(check),
      res: RESOLUTIONS[resolution],
      bucket,
      n: rollup.count,
      fails: rollup.failures,
      degraded: rollup.degraded,
      sum_ms: rollup.sumMs,
      max_ms: rollup.maxMs,
      hist: rollup.histogram,
    }));
    if (rows.length === 0) return;
    const text = `INSERT INTO lifeline_rollups AS o (check_id, res, bucket, n, fails, degraded, sum_ms, max_ms, hist)
       SELECT check_id, res, bucket, n, fails, degraded, sum_ms, max_ms, hist
       FROM json_to_recordset($1::json) AS r(check_id int, res int, bucket bigint, n int, fails int, degraded int,
         sum_ms float8, max_ms float8, hist int[])
       ON CONFLICT (res, check_id, bucket) DO UPDATE SET
         n = o.n + excluded.n, fails = o.fails + excluded.fails, degraded = o.degraded + excluded.degraded,
         sum_ms = o.sum_ms + excluded.sum_ms, max_ms = greatest(o.max_ms, excluded.max_ms),
         hist = (SELECT array_agg(coalesce(a, 0) + coalesce(b, 0) ORDER BY i)
                 FROM unnest(o.hist, excluded.hist) WITH ORDINALITY AS h(a, b, i))`;
    const values = [JSON.stringify(rows)];
    await client.query(maintenance ? long(text, values) : { text, values });
  }

  async function readWatermark(client: pg.PoolClient | pg.Pool): Promise<number | undefined> {
    const { rows } = await client.query<{ value: string }>(
      "SELECT value FROM lifeline_meta WHERE key = 'compacted_until'",
    );
    return rows[0] ? Number(rows[0].value) : undefined;
  }

  return {
    kind: 'postgres',
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
        await client.query(
          long(
            'CREATE TABLE IF NOT EXISTS lifeline_schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
          ),
        );
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
      const checks = await pool.query<{ id: number; name: string; url: string }>(
        'SELECT id, name, url FROM lifeline_checks',
      );
      for (const row of checks.rows) {
        ids.set(row.name, row.id);
        names.set(row.id, { name: row.name, url: row.url });
      }
      ready = true;
      return POSTGRES_MIGRATIONS.length;
    },
    async write(results) {
      ensure();
      if (results.length === 0) return;
      await transaction(async (client) => {
        await idsFor(client, results);
        const raw = results.map((r) => ({ check_id: ids.get(r.check), ...encode(r) }));
        await client.query(
          `INSERT INTO lifeline_results (check_id, t, lag, ok, status, dur, dns, conn, tls, ttfb, xfer, attempts, err, detail)
           SELECT check_id, t, lag, ok, status, dur, dns, conn, tls, ttfb, xfer, attempts, err, detail
           FROM json_to_recordset($1::json) AS r(check_id int, t bigint, lag int, ok smallint, status smallint, dur int, dns int,
             conn int, tls int, ttfb int, xfer int, attempts smallint, err text, detail text)
           ON CONFLICT DO NOTHING`,
          [JSON.stringify(raw)],
        );
        // A result for a minute that was already compacted goes straight into its rollups.
        const watermark = await readWatermark(client);
        const late = watermark === undefined ? [] : results.map(rollupInput).filter((i) => i.timeMs < watermark);
        if (late.length > 0) await upsertRollups(client, foldResults(late).values());
      });
    },
    async results(check, query: ResultQuery) {
      ensure();
      return page(check, query, '');
    },
    async latest() {
      ensure();
      const { rows } = await pool.query<RawRow & { name: string; url: string }>(
        `SELECT c.name, c.url, r.* FROM lifeline_checks c
         CROSS JOIN LATERAL (SELECT * FROM lifeline_results WHERE check_id = c.id ORDER BY t DESC LIMIT 1) r`,
      );
      return new Map(rows.map((row) => [row.name, decode(row.name, row.url, row)]));
    },
    async rollups(check, resolution: Resolution, since, until) {
      ensure();
      const res = RESOLUTIONS[resolution];
      const params: unknown[] = [res, since, until];
      let where = 'res = $1 AND bucket >= $2 AND bucket < $3';
      if (check !== null) {
        const id = ids.get(check);
        if (id === undefined) return [];
        params.push(id);
        where += ' AND check_id = $4';
      }
      const { rows } = await pool.query<{
        check_id: number;
        bucket: number;
        n: number;
        fails: number;
        degraded: number;
        sum_ms: number;
        max_ms: number;
        hist: number[];
      }>(
        `SELECT check_id, bucket, n, fails, degraded, sum_ms, max_ms, hist FROM lifeline_rollups WHERE ${where} ORDER BY bucket`,
        params,
      );
      return rows.map(
        (r): RollupRow => ({
          check: names.get(r.check_id)?.name ?? String(r.check_id),
          bucket: r.bucket,
          rollup: {
            count: r.n,
            failures: r.fails,
            degraded: r.degraded,
            sumMs: r.sum_ms,
            maxMs: r.max_ms,
            histogram: r.hist,
          },
        }),
      );
    },
    async totals(resolution, since, until) {
      ensure();
      const { rows } = await pool.query<{ name: string; n: string; fails: string; degraded: string }>(
        `SELECT c.name, sum(r.n) AS n, sum(r.fails) AS fails, sum(r.degraded) AS degraded
         FROM lifeline_rollups r JOIN lifeline_checks c ON c.id = r.check_id
         WHERE r.res = $1 AND r.bucket >= $2 AND r.bucket < $3 GROUP BY c.name`,
        [RESOLUTIONS[resolution], since, until],
      );
      return new Map(
        rows.map((r) => [r.name, { count: Number(r.n), failures: Number(r.fails), degraded: Number(r.degraded) }]),
      );
    },
    async compact(now) {
      ensure();
      const until = bucketStart(now, 'minute');
      return transaction(async (client) => {
        // One compactor at a time, whichever monitor or CronJob runs it.
        await client.query(long("SELECT pg_advisory_xact_lock(hashtext('lifeline-compact'))"));
        let watermark = await readWatermark(client);
        if (watermark === undefined) {
          const first = await client.query<{ t: number | null }>(long('SELECT min(t) AS t FROM lifeline_results'));
          const t = first.rows[0]?.t;
          watermark = t === null || t === undefined ? until : bucketStart(t, 'minute');
        }
        if (watermark >= until) return 0;
        // Rollups are built from raw rows: the write path is one insert per result.
        const { rows } = await client.query<{ name: string; check_id: number; t: number; ok: number; dur: number }>(
          long(
            `SELECT c.name, r.check_id, r.t, r.ok, r.dur FROM lifeline_results r JOIN lifeline_checks c ON c.id = r.check_id
             WHERE r.t >= $1 AND r.t < $2`,
            [watermark, until],
          ),
        );
        for (const r of rows) ids.set(r.name, r.check_id);
        await upsertRollups(client, foldResults(rows.map((r) => rawRollupInput(r.name, r))).values(), true);
        await client.query(
          "INSERT INTO lifeline_meta (key, value) VALUES ('compacted_until', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
          [String(until)],
        );
        return rows.length;
      }, maintenanceTimeoutMs);
    },
    async lastScheduled(check) {
      ensure();
      const id = ids.get(check);
      if (id === undefined) return undefined;
      const { rows } = await pool.query<{ s: number }>(
        'SELECT t - lag AS s FROM lifeline_results WHERE check_id = $1 AND lag IS NOT NULL ORDER BY t DESC LIMIT 1',
        [id],
      );
      return rows[0]?.s;
    },
    async prune(now: number, retention: RetentionConfig): Promise<PruneCounts> {
      ensure();
      const c = cutoffs(now, retention);
      return transaction(async (client) => {
        const del = async (text: string, values: unknown[]) => (await client.query(long(text, values))).rowCount ?? 0;
        const delRollups = (res: number, before: number | null) =>
          before === null ? 0 : del('DELETE FROM lifeline_rollups WHERE res = $1 AND bucket < $2', [res, before]);
        return {
          // Raw rows not folded into rollups yet are kept whatever their age.
          raw:
            c.raw === null
              ? 0
              : await del('DELETE FROM lifeline_results WHERE t < $1', [
                  Math.min(c.raw, (await readWatermark(client)) ?? 0),
                ]),
          minute: await delRollups(RESOLUTIONS.minute, c.minute),
          hour: await delRollups(RESOLUTIONS.hour, c.hour),
          day: await delRollups(RESOLUTIONS.day, c.day),
        };
      }, maintenanceTimeoutMs);
    },
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
    async resultsByOutcome(check, ok, query: ResultQuery) {
      ensure();
      // `ok = 0` is written out, not a parameter, so the planner can use the partial index (schema v3).
      return page(check, query, ok ? 'AND ok <> 0' : 'AND ok = 0');
    },
    async failureStates(checks) {
      ensure();
      // Per check: the newest failure (partial index), the newest pass (walks back over the
      // current streak only) and the first failure after that pass (partial index).
      const { rows } = await pool.query<
        RawRow & { name: string; url: string; pass_t: number | null; first_t: number | null }
      >(
        `SELECT c.name, c.url, f.*, p.t AS pass_t, d.t AS first_t FROM lifeline_checks c
         JOIN LATERAL (SELECT * FROM lifeline_results WHERE check_id = c.id AND ok = 0 ORDER BY t DESC LIMIT 1) f ON true
         LEFT JOIN LATERAL (SELECT t FROM lifeline_results WHERE check_id = c.id AND ok <> 0 ORDER BY t DESC LIMIT 1) p ON true
         LEFT JOIN LATERAL (SELECT t FROM lifeline_results WHERE check_id = c.id AND ok = 0 AND t > coalesce(p.t, -1)
                            ORDER BY t LIMIT 1) d ON true
         WHERE c.name = ANY($1::text[])`,
        [[...checks]],
      );
      const out = new Map<string, FailureState>(checks.map((c) => [c, { lastFailure: null, downSince: null }]));
      for (const row of rows) {
        const down = row.pass_t === null || row.pass_t < Number(row.t);
        out.set(row.name, { lastFailure: decode(row.name, row.url, row), downSince: down ? row.first_t : null });
      }
      return out;
    },
  };
}
