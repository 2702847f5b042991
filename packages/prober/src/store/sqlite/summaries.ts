import { RESOLUTIONS, type Resolution, type Rollup } from '../../domain/rollup.js';
import { yieldToLoop } from '../../runtime/yield-to-loop.js';
import { ROLLUP_COLUMNS, ROLLUP_SUMS } from '../rollup-record.js';
import type { Store } from '../store.js';
import { foldRow, type SummaryRow, slices } from '../summaries.js';
import type { SqliteContext } from './context.js';

/** Per-check sums of rollups over a window (store.summaries), a slice of checks per statement. */
export interface SqliteSummaries extends Pick<Store, 'summaries'> {
  /** Prepares the statements; called by migrate(), once the tables exist. */
  prepare(): void;
}

export function createSqliteSummaries(ctx: SqliteContext): SqliteSummaries {
  const { db, checks } = ctx;
  let stmts: ReturnType<typeof prepareStatements>;
  function prepareStatements() {
    // The primary key (res, check_id, bucket) serves both: one range seek per slice.
    const where = 'WHERE res = ? AND check_id >= ? AND check_id <= ? AND bucket >= ? AND bucket < ?';
    return {
      withHistograms: db.prepare(`SELECT check_id, ${ROLLUP_COLUMNS} FROM rollups ${where}`),
      counts: db.prepare(`SELECT check_id, ${ROLLUP_SUMS} FROM rollups ${where} GROUP BY check_id`),
    };
  }
  return {
    prepare() {
      stmts = prepareStatements();
    },
    async summaries(resolution: Resolution, since: number, until: number, options = {}) {
      ctx.ensure();
      if (checks.stored() !== checks.ids.size) checks.load();
      const histograms = options.histograms === true;
      const statement = histograms ? stmts.withHistograms : stmts.counts;
      const res = RESOLUTIONS[resolution];
      const byId = new Map<number, Rollup>();
      let first = true;
      for (const slice of slices(checks.ids.values())) {
        if (!first) await yieldToLoop();
        first = false;
        // A close() while the loop was free: the answer would be partial.
        if (!db.open) throw new Error('the store was closed while the summaries were read');
        for (const row of statement.iterate(res, slice[0], slice.at(-1), since, until) as Iterable<SummaryRow>)
          foldRow(byId, row, histograms);
      }
      const out = new Map<string, Rollup>();
      for (const [id, rollup] of byId) out.set(checks.urls.get(id)?.name ?? String(id), rollup);
      return out;
    },
  };
}
