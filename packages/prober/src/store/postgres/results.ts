import { foldResults } from '../../domain/rollup.js';
import { decode, encode, type FailureState, type RawRow, type ResultQuery, rollupInput, type Store } from '../store.js';
import type { PostgresContext } from './context.js';
import { readWatermark, upsertRollups } from './rollups.js';

/** The write path and the reads of raw results. */
export function createPostgresResults(
  ctx: PostgresContext,
): Pick<Store, 'write' | 'results' | 'resultsByOutcome' | 'latest' | 'lastScheduled' | 'failureStates'> {
  const { pool, checks } = ctx;

  /** One page of a check's raw results, newest first; `outcome` is a fixed SQL filter, never user input. */
  async function page(check: string, query: ResultQuery, outcome: '' | 'AND ok <> 0' | 'AND ok = 0') {
    const id = checks.ids.get(check);
    if (id === undefined) return [];
    const { rows } = await pool.query<RawRow>(
      `SELECT * FROM lifeline_results WHERE check_id = $1 ${outcome} AND t >= $2 AND t < $3 ORDER BY t DESC LIMIT $4`,
      [id, query.since ?? 0, query.until ?? Number.MAX_SAFE_INTEGER, query.limit],
    );
    const url = checks.names.get(id)?.url ?? '';
    return rows.map((row) => decode(check, url, row));
  }

  return {
    async write(results) {
      ctx.ensure();
      if (results.length === 0) return;
      await ctx.transaction(async (client) => {
        await checks.idsFor(client, results);
        const raw = results.map((r) => ({ check_id: checks.ids.get(r.check), ...encode(r) }));
        await client.query(
          `INSERT INTO lifeline_results (check_id, t, lag, ok, status, dur, dns, conn, tls, ttfb, xfer, attempts, err, detail, cert)
           SELECT check_id, t, lag, ok, status, dur, dns, conn, tls, ttfb, xfer, attempts, err, detail, cert
           FROM json_to_recordset($1::json) AS r(check_id int, t bigint, lag int, ok smallint, status smallint, dur int, dns int,
             conn int, tls int, ttfb int, xfer int, attempts smallint, err text, detail text, cert bigint)
           ON CONFLICT DO NOTHING`,
          [JSON.stringify(raw)],
        );
        // A result for a minute that was already compacted goes straight into its rollups.
        const watermark = await readWatermark(client);
        const late = watermark === undefined ? [] : results.map(rollupInput).filter((i) => i.timeMs < watermark);
        if (late.length > 0) await upsertRollups(ctx, client, foldResults(late).values());
      });
    },
    async results(check, query: ResultQuery) {
      ctx.ensure();
      return page(check, query, '');
    },
    async latest() {
      ctx.ensure();
      const { rows } = await pool.query<RawRow & { name: string; url: string }>(
        `SELECT c.name, c.url, r.* FROM lifeline_checks c
         CROSS JOIN LATERAL (SELECT * FROM lifeline_results WHERE check_id = c.id ORDER BY t DESC LIMIT 1) r`,
      );
      return new Map(rows.map((row) => [row.name, decode(row.name, row.url, row)]));
    },
    async lastScheduled(check) {
      ctx.ensure();
      const id = checks.ids.get(check);
      if (id === undefined) return undefined;
      const { rows } = await pool.query<{ s: number }>(
        'SELECT t - lag AS s FROM lifeline_results WHERE check_id = $1 AND lag IS NOT NULL ORDER BY t DESC LIMIT 1',
        [id],
      );
      return rows[0]?.s;
    },
    async resultsByOutcome(check, ok, query: ResultQuery) {
      ctx.ensure();
      // `ok = 0` is written out, not a parameter, so the planner can use the partial index (schema v3).
      return page(check, query, ok ? 'AND ok <> 0' : 'AND ok = 0');
    },
    async failureStates(names) {
      ctx.ensure();
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
        [[...names]],
      );
      const out = new Map<string, FailureState>(names.map((c) => [c, { lastFailure: null, downSince: null }]));
      for (const row of rows) {
        const down = row.pass_t === null || row.pass_t < Number(row.t);
        out.set(row.name, { lastFailure: decode(row.name, row.url, row), downSince: down ? row.first_t : null });
      }
      return out;
    },
  };
}
