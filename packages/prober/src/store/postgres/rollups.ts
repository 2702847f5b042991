import type pg from 'pg';
import { bucketStart, foldResults, RESOLUTIONS, type Resolution, type RollupDelta } from '../../domain/rollup.js';
import { ROLLUP_COLUMNS, type RollupRecord, rollupOf } from '../rollup-record.js';
import { type RawRollupRow, type RollupRow, rawRollupInput, type Store } from '../store.js';
import { type PostgresContext, trySingleton } from './context.js';

/** Adds deltas to stored rollup rows in one statement; histograms are added element by element. */
export async function upsertRollups(
  ctx: PostgresContext,
  client: pg.PoolClient,
  deltas: Iterable<RollupDelta>,
  maintenance = false,
): Promise<void> {
  const rows = [...deltas].map(({ check, resolution, bucket, rollup }) => ({
    check_id: ctx.checks.ids.get(check),
    res: RESOLUTIONS[resolution],
    bucket,
    n: rollup.count,
    fails: rollup.failures,
    degraded: rollup.degraded,
    sum_ms: rollup.sumMs,
    max_ms: rollup.maxMs,
    hist: rollup.histogram,
    phased: rollup.phased,
    sum_dns: rollup.phaseSums.dns,
    sum_conn: rollup.phaseSums.connect,
    sum_tls: rollup.phaseSums.tls,
    sum_ttfb: rollup.phaseSums.ttfb,
    sum_xfer: rollup.phaseSums.transfer,
  }));
  if (rows.length === 0) return;
  const text = `INSERT INTO lifeline_rollups AS o (check_id, res, bucket, ${ROLLUP_COLUMNS})
       SELECT check_id, res, bucket, ${ROLLUP_COLUMNS}
       FROM json_to_recordset($1::json) AS r(check_id int, res int, bucket bigint, n int, fails int, degraded int,
         sum_ms float8, max_ms float8, hist int[], phased int, sum_dns int8, sum_conn int8, sum_tls int8,
         sum_ttfb int8, sum_xfer int8)
       ON CONFLICT (res, check_id, bucket) DO UPDATE SET
         n = o.n + excluded.n, fails = o.fails + excluded.fails, degraded = o.degraded + excluded.degraded,
         sum_ms = o.sum_ms + excluded.sum_ms, max_ms = greatest(o.max_ms, excluded.max_ms),
         hist = (SELECT array_agg(coalesce(a, 0) + coalesce(b, 0) ORDER BY i)
                 FROM unnest(o.hist, excluded.hist) WITH ORDINALITY AS h(a, b, i)),
         phased = o.phased + excluded.phased, sum_dns = o.sum_dns + excluded.sum_dns,
         sum_conn = o.sum_conn + excluded.sum_conn, sum_tls = o.sum_tls + excluded.sum_tls,
         sum_ttfb = o.sum_ttfb + excluded.sum_ttfb, sum_xfer = o.sum_xfer + excluded.sum_xfer`;
  const values = [JSON.stringify(rows)];
  await client.query(maintenance ? ctx.long(text, values) : { text, values });
}

/**
 * Compaction folds and upserts the fetched rows in slices of about this many
 * (whole checks, unless one check alone has more than twice as many), so no
 * single stretch of JavaScript holds the event loop for long (bench:compaction).
 */
export const PG_COMPACT_SLICE_ROWS = 1_000;

/** Cuts rows ordered by check into slices of whole checks of about PG_COMPACT_SLICE_ROWS rows. */
export function* checkSlices<T extends { check_id: number }>(rows: readonly T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; ) {
    let j = Math.min(i + PG_COMPACT_SLICE_ROWS, rows.length);
    const cap = Math.min(i + 2 * PG_COMPACT_SLICE_ROWS, rows.length);
    let k = j;
    while (k < cap && rows[k]?.check_id === rows[k - 1]?.check_id) k++;
    // Ends on a check boundary when one is near; a check with more rows than that is split.
    if (k < cap || k === rows.length) j = k;
    yield rows.slice(i, j);
    i = j;
  }
}

/** Where the last compaction stopped (epoch ms), if one ever ran. */
export async function readWatermark(client: pg.PoolClient | pg.Pool): Promise<number | undefined> {
  const { rows } = await client.query<{ value: string }>(
    "SELECT value FROM lifeline_meta WHERE key = 'compacted_until'",
  );
  return rows[0] ? Number(rows[0].value) : undefined;
}

/** Compaction of raw results into minute, hour and day rollups, and the rollup reads. */
export function createPostgresRollups(ctx: PostgresContext): Pick<Store, 'compact' | 'rollups' | 'totals'> {
  const { pool, checks, long } = ctx;
  return {
    async rollups(check, resolution: Resolution, since, until) {
      ctx.ensure();
      const res = RESOLUTIONS[resolution];
      const params: unknown[] = [res, since, until];
      let where = 'res = $1 AND bucket >= $2 AND bucket < $3';
      if (check !== null) {
        const id = checks.ids.get(check);
        if (id === undefined) return [];
        params.push(id);
        where += ' AND check_id = $4';
      }
      const { rows } = await pool.query<RollupRecord<number[]> & { check_id: number; bucket: number }>(
        `SELECT check_id, bucket, ${ROLLUP_COLUMNS} FROM lifeline_rollups WHERE ${where} ORDER BY bucket`,
        params,
      );
      return rows.map(
        (r): RollupRow => ({
          check: checks.names.get(r.check_id)?.name ?? String(r.check_id),
          bucket: r.bucket,
          rollup: rollupOf(r, r.hist),
        }),
      );
    },
    async totals(resolution, since, until) {
      ctx.ensure();
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
      ctx.ensure();
      const until = bucketStart(now, 'minute');
      return ctx.transaction(async (client) => {
        // One compactor at a time, whichever monitor or CronJob runs it: in a cluster every member
        // calls this each minute, and one doing it is enough (the others return at once, issue #13).
        if (!(await trySingleton(ctx, client, 'compact'))) return 0;
        // The key lifeline took before schema v6 (waited for, database-wide): a compactor of an older
        // version still running during an upgrade (a CronJob's check --once) must not fold the same rows.
        await client.query(long("SELECT pg_advisory_xact_lock(hashtext('lifeline-compact'))"));
        let watermark = await readWatermark(client);
        if (watermark === undefined) {
          const first = await client.query<{ t: number | null }>(long('SELECT min(t) AS t FROM lifeline_results'));
          const t = first.rows[0]?.t;
          watermark = t === null || t === undefined ? until : bucketStart(t, 'minute');
        }
        if (watermark >= until) return 0;
        // Rollups are built from raw rows: the write path is one insert per result.
        const { rows } = await client.query<RawRollupRow & { name: string; check_id: number }>(
          long(
            `SELECT c.name, r.check_id, r.t, r.ok, r.dur, r.dns, r.conn, r.tls, r.ttfb, r.xfer
             FROM lifeline_results r JOIN lifeline_checks c ON c.id = r.check_id
             WHERE r.t >= $1 AND r.t < $2 ORDER BY r.check_id, r.t`,
            [watermark, until],
          ),
        );
        for (const slice of checkSlices(rows)) {
          for (const r of slice) checks.ids.set(r.name, r.check_id);
          // Folding and encoding a slice is the synchronous part; the loop is free while PostgreSQL upserts it.
          await upsertRollups(ctx, client, foldResults(slice.map((r) => rawRollupInput(r.name, r))).values(), true);
        }
        await client.query(
          "INSERT INTO lifeline_meta (key, value) VALUES ('compacted_until', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
          [String(until)],
        );
        return rows.length;
      }, ctx.maintenanceTimeoutMs);
    },
  };
}
