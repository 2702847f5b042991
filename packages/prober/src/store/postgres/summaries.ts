import { RESOLUTIONS, type Resolution, type Rollup } from '../../domain/rollup.js';
import { ROLLUP_COLUMNS, ROLLUP_SUMS } from '../rollup-record.js';
import type { Store } from '../store.js';
import { foldRow, type SummaryRow, slices } from '../summaries.js';
import type { PostgresContext } from './context.js';

/** Per-check sums of rollups over a window (store.summaries), a slice of checks per query. */
export function createPostgresSummaries(ctx: PostgresContext): Pick<Store, 'summaries'> {
  const { pool, checks } = ctx;
  return {
    async summaries(resolution: Resolution, since: number, until: number, options = {}) {
      ctx.ensure();
      // Checks another process wrote (a CronJob's check --once) are named too.
      await checks.load(pool);
      const histograms = options.histograms === true;
      const where = 'WHERE res = $1 AND check_id = ANY($2::int[]) AND bucket >= $3 AND bucket < $4';
      const text = histograms
        ? `SELECT check_id, ${ROLLUP_COLUMNS} FROM lifeline_rollups ${where}`
        : `SELECT check_id, ${ROLLUP_SUMS} FROM lifeline_rollups ${where} GROUP BY check_id`;
      const byId = new Map<number, Rollup>();
      // Each slice is its own query: rows arrive (and are folded) a slice at a time, the loop free in between.
      for (const slice of slices(checks.names.keys())) {
        const { rows } = await pool.query<SummaryRow>(text, [RESOLUTIONS[resolution], slice, since, until]);
        for (const row of rows) foldRow(byId, row, histograms);
      }
      const out = new Map<string, Rollup>();
      for (const [id, rollup] of byId) out.set(checks.names.get(id)?.name ?? String(id), rollup);
      return out;
    },
  };
}
