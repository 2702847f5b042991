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
}

/**
 * PostgreSQL, for a monitor that must survive its pod or share its history.
 * Writes go in one transaction per batch: raw rows and rollup deltas as JSON
 * record sets, the histograms merged element by element in SQL.
 */
export function createPostgresStore(options: PostgresStoreOptions): Store {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 4,
    types: {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? int8 : pg.types.getTypeParser(oid, format as 'text'),
    } as pg.CustomTypesConfig,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  pool.on('error', () => {
    // An idle client lost its connection; the next query gets a new one.
  });
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

  const ensure = () => {
    if (!ready) throw new Error('store used before migrate()');
  };

  /** Adds deltas to stored rollup rows in one statement; histograms are added element by element. */
  async function upsertRollups(client: pg.PoolClient, deltas: Iterable<RollupDelta>): Promise<void> {
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
    await client.query(
      `INSERT INTO lifeline_rollups AS o (check_id, res, bucket, n, fails, degraded, sum_ms, max_ms, hist)
       SELECT check_id, res, bucket, n, fails, degraded, sum_ms, max_ms, hist
       FROM json_to_recordset($1::json) AS r(check_id int, res int, bucket bigint, n int, fails int, degraded int,
         sum_ms float8, max_ms float8, hist int[])
       ON CONFLICT (res, check_id, bucket) DO UPDATE SET
         n = o.n + excluded.n, fails = o.fails + excluded.fails, degraded = o.degraded + excluded.degraded,
         sum_ms = o.sum_ms + excluded.sum_ms, max_ms = greatest(o.max_ms, excluded.max_ms),
         hist = (SELECT array_agg(coalesce(a, 0) + coalesce(b, 0) ORDER BY i)
                 FROM unnest(o.hist, excluded.hist) WITH ORDINALITY AS h(a, b, i))`,
      [JSON.stringify(rows)],
    );
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
      const client = await pool.connect();
      try {
        if (options.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(options.schema)}`);
        await client.query('BEGIN');
        // Two monitors starting at once must not both migrate.
        await client.query("SELECT pg_advisory_xact_lock(hashtext('lifeline-migrate'))");
        await client.query(
          'CREATE TABLE IF NOT EXISTS lifeline_schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
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
          await client.query(POSTGRES_MIGRATIONS[version] as string);
          await client.query('INSERT INTO lifeline_schema_migrations (version) VALUES ($1)', [version + 1]);
        }
        await client.query('COMMIT');
        const checks = await client.query<{ id: number; name: string; url: string }>(
          'SELECT id, name, url FROM lifeline_checks',
        );
        for (const row of checks.rows) {
          ids.set(row.name, row.id);
          names.set(row.id, { name: row.name, url: row.url });
        }
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
      ready = true;
      return POSTGRES_MIGRATIONS.length;
    },
    async write(results) {
      ensure();
      if (results.length === 0) return;
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
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
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async results(check, query: ResultQuery) {
      ensure();
      const id = ids.get(check);
      if (id === undefined) return [];
      const { rows } = await pool.query<RawRow>(
        'SELECT * FROM lifeline_results WHERE check_id = $1 AND t >= $2 AND t < $3 ORDER BY t DESC LIMIT $4',
        [id, query.since ?? 0, query.until ?? Number.MAX_SAFE_INTEGER, query.limit],
      );
      const url = names.get(id)?.url ?? '';
      return rows.map((row) => decode(check, url, row));
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
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // One compactor at a time, whichever monitor or CronJob runs it.
        await client.query("SELECT pg_advisory_xact_lock(hashtext('lifeline-compact'))");
        let watermark = await readWatermark(client);
        if (watermark === undefined) {
          const first = await client.query<{ t: number | null }>('SELECT min(t) AS t FROM lifeline_results');
          const t = first.rows[0]?.t;
          watermark = t === null || t === undefined ? until : bucketStart(t, 'minute');
        }
        let folded = 0;
        if (watermark < until) {
          // Rollups are built from raw rows: the write path is one insert per result.
          const { rows } = await client.query<{ name: string; check_id: number; t: number; ok: number; dur: number }>(
            `SELECT c.name, r.check_id, r.t, r.ok, r.dur FROM lifeline_results r JOIN lifeline_checks c ON c.id = r.check_id
             WHERE r.t >= $1 AND r.t < $2`,
            [watermark, until],
          );
          folded = rows.length;
          for (const r of rows) ids.set(r.name, r.check_id);
          await upsertRollups(client, foldResults(rows.map((r) => rawRollupInput(r.name, r))).values());
          await client.query(
            "INSERT INTO lifeline_meta (key, value) VALUES ('compacted_until', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [String(until)],
          );
        }
        await client.query('COMMIT');
        return folded;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
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
      const del = async (sql: string, params: unknown[]) => (await pool.query(sql, params)).rowCount ?? 0;
      return {
        // Raw rows not folded into rollups yet are kept whatever their age.
        raw:
          c.raw === null
            ? 0
            : await del('DELETE FROM lifeline_results WHERE t < $1', [
                Math.min(c.raw, (await readWatermark(pool)) ?? 0),
              ]),
        minute:
          c.minute === null
            ? 0
            : await del('DELETE FROM lifeline_rollups WHERE res = $1 AND bucket < $2', [RESOLUTIONS.minute, c.minute]),
        hour:
          c.hour === null
            ? 0
            : await del('DELETE FROM lifeline_rollups WHERE res = $1 AND bucket < $2', [RESOLUTIONS.hour, c.hour]),
        day:
          c.day === null
            ? 0
            : await del('DELETE FROM lifeline_rollups WHERE res = $1 AND bucket < $2', [RESOLUTIONS.day, c.day]),
      };
    },
    async close() {
      await pool.end();
    },
    async resultsByOutcome(check, ok, query: ResultQuery) {
      ensure();
      const id = ids.get(check);
      if (id === undefined) return [];
      // `ok = 0` is written out, not a parameter, so the planner can use the partial index (schema v3).
      const { rows } = await pool.query<RawRow>(
        `SELECT * FROM lifeline_results WHERE check_id = $1 AND ${ok ? 'ok <> 0' : 'ok = 0'} AND t >= $2 AND t < $3
         ORDER BY t DESC LIMIT $4`,
        [id, query.since ?? 0, query.until ?? Number.MAX_SAFE_INTEGER, query.limit],
      );
      const url = names.get(id)?.url ?? '';
      return rows.map((row) => decode(check, url, row));
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
