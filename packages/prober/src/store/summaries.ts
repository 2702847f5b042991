import { emptyRollup, type Rollup } from '../domain/rollup.js';
import type { RollupRecord } from './rollup-record.js';

/**
 * Rollups of many checks merged per check, read in slices of checks with the
 * event loop free between slices: how the API's list of every check gets its
 * uptime and percentiles without one long read (at 10,000 checks the rows of
 * one day hold about 60 MB of histograms as separate arrays).
 */
export const SUMMARY_SLICE_CHECKS = 100;

/**
 * One stored rollup row as a slice reads it (or, without histograms, a check's
 * sums over the window); `hist` only when histograms were asked for.
 */
export type SummaryRow = { readonly check_id: number } & Omit<RollupRecord<unknown>, 'hist'> & {
    readonly hist?: Buffer | string | readonly number[];
  };

/** Adds a row to the check's running sum in place (no array per row: the histogram is added bin by bin). */
export function foldRow(into: Map<number, Rollup>, row: SummaryRow, histograms: boolean): void {
  let acc = into.get(row.check_id);
  if (!acc) {
    acc = emptyRollup();
    if (!histograms) acc.histogram = [];
    into.set(row.check_id, acc);
  }
  acc.count += Number(row.n);
  acc.failures += Number(row.fails);
  acc.degraded += Number(row.degraded);
  acc.sumMs += Number(row.sum_ms);
  if (Number(row.max_ms) > acc.maxMs) acc.maxMs = Number(row.max_ms);
  // PostgreSQL's bigint sums arrive as strings.
  acc.phased += Number(row.phased);
  const sums = acc.phaseSums;
  sums.dns += Number(row.sum_dns);
  sums.connect += Number(row.sum_conn);
  sums.tls += Number(row.sum_tls);
  sums.ttfb += Number(row.sum_ttfb);
  sums.transfer += Number(row.sum_xfer);
  const hist = row.hist;
  if (!histograms || hist === undefined) return;
  const bins = acc.histogram;
  if (Buffer.isBuffer(hist)) {
    // uint32 BLOB (SQLite, written from a Uint32Array: platform order, little-endian where Node runs).
    const n = Math.min(bins.length, hist.length >>> 2);
    if ((hist.byteOffset & 3) === 0) {
      const view = new Uint32Array(hist.buffer, hist.byteOffset, n);
      for (let i = 0; i < n; i++) bins[i] = (bins[i] as number) + (view[i] as number);
    } else for (let i = 0; i < n; i++) bins[i] = (bins[i] as number) + hist.readUInt32LE(i * 4);
    return;
  }
  // Schema v1 SQLite rows hold JSON text; PostgreSQL gives an integer array.
  const values = typeof hist === 'string' ? (JSON.parse(hist) as number[]) : hist;
  const n = Math.min(bins.length, values.length);
  for (let i = 0; i < n; i++) bins[i] = (bins[i] as number) + (values[i] as number);
}

/** Ids in ascending order cut into slices of at most `size`. */
export function slices(ids: Iterable<number>, size = SUMMARY_SLICE_CHECKS): number[][] {
  const sorted = [...ids].sort((a, b) => a - b);
  const out: number[][] = [];
  for (let i = 0; i < sorted.length; i += size) out.push(sorted.slice(i, i + size));
  return out;
}
