import { foldResults } from '../../domain/rollup.js';
import {
  decode,
  encode,
  type FailureState,
  type RawRollupRow,
  type RawRow,
  type ResultQuery,
  rawRollupInput,
  type Store,
  type WriteReport,
} from '../store.js';
import type { PostgresContext } from './context.js';
import { upsertRollups } from './rollups.js';

/**
 * The write path's one statement. A row whose epoch is set must name a
 * member (else it is fenced): the member row is locked FOR KEY SHARE, so an
 * expel or a re-join of that member (both change or delete its key) waits for
 * this transaction, and one that committed first leaves the row out; a renew
 * (not a key change) does not wait. Rows go in by (check, slot, time), so two
 * writers of the same slots take them in one order and wait on each other
 * rather than deadlock (singletons.test.ts). ON CONFLICT DO NOTHING leaves out a
 * row repeating a check's time or run slot (a duplicate), whoever stored it
 * first. RETURNING tells which rows went in: of those, the ones in a minute
 * already compacted (before the watermark) come back to be folded into their
 * rollups, never a row left out.
 */
const INSERT_RESULTS = `
  WITH input AS (
    SELECT r.*, (r.epoch IS NULL OR EXISTS (
      SELECT 1 FROM lifeline_members m WHERE m.epoch = r.epoch FOR KEY SHARE OF m)) AS allowed
    FROM json_to_recordset($1::json) AS r(check_id int, t bigint, lag int, ok smallint, status smallint, dur int,
      dns int, conn int, tls int, ttfb int, xfer int, attempts smallint, err text, detail text, cert bigint,
      slot bigint, epoch bigint)
  ), inserted AS (
    INSERT INTO lifeline_results (check_id, t, lag, ok, status, dur, dns, conn, tls, ttfb, xfer, attempts, err, detail,
      cert, slot, epoch)
    SELECT check_id, t, lag, ok, status, dur, dns, conn, tls, ttfb, xfer, attempts, err, detail, cert, slot, epoch
    FROM input WHERE allowed ORDER BY check_id, slot, t
    ON CONFLICT DO NOTHING
    RETURNING check_id, t, ok, dur, dns, conn, tls, ttfb, xfer
  ), watermark AS (
    SELECT value::bigint AS t FROM lifeline_meta WHERE key = 'compacted_until'
  )
  SELECT (SELECT count(*) FROM input WHERE NOT allowed)::int AS fenced,
    (SELECT count(*) FROM inserted)::int AS written,
    (SELECT json_agg(i) FROM inserted i WHERE i.t < (SELECT t FROM watermark)) AS late`;

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
    async write(results): Promise<WriteReport> {
      ctx.ensure();
      if (results.length === 0) return { written: 0, duplicates: 0, fenced: 0 };
      return ctx.transaction(async (client) => {
        await checks.idsFor(client, results);
        const raw = results.map((r) => ({ check_id: checks.ids.get(r.check), ...encode(r) }));
        const { rows } = await client.query<{
          fenced: number;
          written: number;
          late: (RawRollupRow & { check_id: number })[] | null;
        }>(INSERT_RESULTS, [JSON.stringify(raw)]);
        const { fenced = 0, written = 0, late } = rows[0] ?? {};
        // A result stored now for a minute that was already compacted goes straight into its rollups.
        if (late && late.length > 0) {
          const inputs = late.map((r) => rawRollupInput(checks.names.get(r.check_id)?.name ?? '', r));
          await upsertRollups(ctx, client, foldResults(inputs).values());
        }
        return { written, duplicates: results.length - written - fenced, fenced };
      });
    },
    async results(check, query: ResultQuery) {
      ctx.ensure();
      return page(check, query, '');
    },
    async latest(since = 0) {
      ctx.ensure();
      // One index probe per check either way; `since` keeps the rows sent back (and decoded) to those that changed.
      const { rows } = await pool.query<RawRow & { name: string; url: string }>(
        `SELECT c.name, c.url, r.* FROM lifeline_checks c
         CROSS JOIN LATERAL (SELECT * FROM lifeline_results WHERE check_id = c.id ORDER BY t DESC LIMIT 1) r
         WHERE r.t >= $1`,
        [since],
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
