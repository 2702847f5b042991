import type Database from 'better-sqlite3';
import type { SqliteChecks } from './checks.js';

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
  /** Throws when the store is used before migrate(). */
  ensure(): void;
}
