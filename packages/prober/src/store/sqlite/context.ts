import type Database from 'better-sqlite3';
import type { SqliteChecks } from './checks.js';

/**
 * A compaction pass that stopped between two of its chunks: the results in
 * [watermark, until) of checks before `check`, and of `check` itself before
 * `t`, are folded; the rest of the pass is not yet.
 */
export interface CompactionProgress {
  /** Where the pass ends (epoch ms, a minute start). */
  readonly until: number;
  /** The check id the pass is at. */
  readonly check: number;
  /** That check's results before this time are folded. */
  readonly t: number;
}

/** What the SQLite store's concern modules share: the open file, the check cache and the compaction watermark. */
export interface SqliteContext {
  readonly db: Database.Database;
  readonly checks: SqliteChecks;
  /**
   * Results before this time (epoch ms) are folded into rollups: compaction moves it,
   * the write path folds a late result at once and retention keeps raw rows from it on.
   * Undefined until the first compaction or when the meta table has none.
   */
  watermark: number | undefined;
  /** A compaction pass in progress (it runs in chunks); undefined between passes. */
  progress: CompactionProgress | undefined;
  /** Throws when the store is used before migrate(). */
  ensure(): void;
}

/** Whether a result of this check at this time is already in the rollups (so a write must fold it at once). */
export function isFolded(ctx: SqliteContext, checkId: number, t: number): boolean {
  if (ctx.watermark === undefined) return false;
  if (t < ctx.watermark) return true;
  const p = ctx.progress;
  return p !== undefined && t < p.until && (checkId < p.check || (checkId === p.check && t < p.t));
}
