import type { Rollup } from '../domain/rollup.js';

/** The columns of a stored rollup row (schema v5) after its key (check, resolution, bucket); the same in both dialects. */
export const ROLLUP_COLUMNS =
  'n, fails, degraded, sum_ms, max_ms, hist, phased, sum_dns, sum_conn, sum_tls, sum_ttfb, sum_xfer';

/** The same columns summed over rows (GROUP BY the check), named as stored: a RollupRecord without `hist`. */
export const ROLLUP_SUMS =
  'sum(n) AS n, sum(fails) AS fails, sum(degraded) AS degraded, sum(sum_ms) AS sum_ms, max(max_ms) AS max_ms, ' +
  'sum(phased) AS phased, sum(sum_dns) AS sum_dns, sum(sum_conn) AS sum_conn, sum(sum_tls) AS sum_tls, ' +
  'sum(sum_ttfb) AS sum_ttfb, sum(sum_xfer) AS sum_xfer';

/** Those columns as a driver returns them; `H` is the dialect's histogram (a uint32 BLOB in SQLite, int[] in PostgreSQL). */
export interface RollupRecord<H> {
  readonly n: number;
  readonly fails: number;
  readonly degraded: number;
  readonly sum_ms: number;
  readonly max_ms: number;
  readonly hist: H;
  readonly phased: number;
  readonly sum_dns: number;
  readonly sum_conn: number;
  readonly sum_tls: number;
  readonly sum_ttfb: number;
  readonly sum_xfer: number;
}

/** A stored row as a Rollup, its histogram decoded by the dialect. */
export const rollupOf = (r: Omit<RollupRecord<unknown>, 'hist'>, histogram: number[]): Rollup => ({
  count: r.n,
  failures: r.fails,
  degraded: r.degraded,
  sumMs: r.sum_ms,
  maxMs: r.max_ms,
  histogram,
  phased: r.phased,
  phaseSums: { dns: r.sum_dns, connect: r.sum_conn, tls: r.sum_tls, ttfb: r.sum_ttfb, transfer: r.sum_xfer },
});
