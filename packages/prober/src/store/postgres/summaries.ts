import { RESOLUTIONS, type Resolution, type Rollup } from '../../domain/rollup.js';
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
      const text = histograms
        ? 'SELECT check_id, n, fails, degraded, sum_ms, max_ms, phased, sum_dns, sum_conn, sum_tls, sum_ttfb, sum_xfer, hist FROM lifeline_rollups WHERE res = $1 AND check_id = ANY($2::int[]) AND bucket >= $3 AND bucket < $4'
        : 'SELECT check_id, sum(n) AS n, sum(fails) AS fails, sum(degraded) AS degraded, sum(sum_ms) AS sum_ms, max(max_ms) AS max_ms, sum(phased) AS phased, sum(sum_dns) AS sum_dns, sum(sum_conn) AS sum_conn, sum(sum_tls) AS sum_tls, sum(sum_ttfb) AS sum_ttfb, sum(sum_xfer) AS sum_xfer FROM lifeline_rollups WHERE res = $1 AND check_id = ANY($2::int[]) AND bucket >= $3 AND bucket < $4 GROUP BY check_id';
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
